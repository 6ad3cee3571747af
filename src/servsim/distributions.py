"""Duration distributions: validated specs that know their analytic mean and draw
from a ``numpy.random.Generator``.

Every parameter that is a time takes a unit (``"12min"``, ``"4h"``); values are
stored in minutes. ``Distribution`` is a union discriminated on ``kind``.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator
from functools import partial
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, model_validator

from .units import parse_duration

_MINUTES_SCHEMA = {"anyOf": [{"type": "string", "examples": ["30min", "4h", "2d"]}, {"type": "number"}],
                   "description": "a duration with a unit (s, min, h, d, w); a bare number is minutes"}
Minutes = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda v: f"{v!r}min", return_type=str),  # dumps read back exactly, with their unit
    WithJsonSchema(_MINUTES_SCHEMA),
]


def _durations(values: Any) -> Any:
    """Durations in minutes, a list's or a map's values converted in one pass (a quantile table holds a hundred,
    a calibrated scenario a million); anything else is left for pydantic to reject."""
    items = values.values() if isinstance(values, dict) else values if isinstance(values, list) else None
    if items is None or all(type(v) is float and 0.0 <= v < float("inf") for v in items):
        return values
    try:  # as servsim writes them ("12.5min"): one pass, checked below; anything else, item by item
        numbers = [float(v[:-3]) if type(v) is str and v.endswith("min") else float(v) for v in items]
    except (TypeError, ValueError):
        numbers = None
    if numbers is not None and all(0.0 <= x < float("inf") for x in numbers) and not any(
            type(v) is bool for v in items):
        return dict(zip(values, numbers)) if isinstance(values, dict) else numbers
    if isinstance(values, dict):
        return {key: _item(key, v) for key, v in values.items()}
    return [_item(i, v) for i, v in enumerate(values)]


def _item(key: object, value: Any) -> float:
    """One duration of a list or map, its error naming its place."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"[{key}]: {exc}") from None


MinutesList = Annotated[
    list[float],
    BeforeValidator(_durations),
    PlainSerializer(lambda vs: [f"{v!r}min" for v in vs], return_type=list),
    WithJsonSchema({"type": "array", "items": _MINUTES_SCHEMA}),
]
MinutesTable = Annotated[
    dict[float, float],
    BeforeValidator(_durations),
    PlainSerializer(lambda table: {p: f"{v!r}min" for p, v in table.items()}, return_type=dict),
    WithJsonSchema({"type": "object", "additionalProperties": _MINUTES_SCHEMA}),
]

BLOCK = 1024  # values drawn per call to numpy: scalar draws cost ~1 µs each, a block amortises it


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        """Return a zero-argument function giving the next draw (in minutes).

        Values come from ``rng`` in blocks, so a stream is consumed identically
        whatever the caller does between draws.
        """
        blocks: Iterator[list[float]] = iter(partial(_block, self.draw, rng), None)
        return itertools.chain.from_iterable(blocks).__next__


def _block(draw: Callable[[np.random.Generator, int], np.ndarray], rng: np.random.Generator) -> list[float]:
    return draw(rng, BLOCK).tolist()


class Exponential(_Spec):
    """Exponential with the given mean."""

    kind: Literal["exponential"]
    mean_: Minutes = Field(alias="mean", gt=0)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)


class LogNormal(_Spec):
    """Lognormal given by its own mean and coefficient of variation (not the normal's mu, sigma)."""

    kind: Literal["lognormal"]
    mean_: Minutes = Field(alias="mean", gt=0)
    cv: float = Field(gt=0)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2), size)


class Gamma(_Spec):
    """Gamma given by mean and coefficient of variation (shape = 1/cv²)."""

    kind: Literal["gamma"]
    mean_: Minutes = Field(alias="mean", gt=0)
    cv: float = Field(gt=0)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, size)


class Weibull(_Spec):
    """Weibull with shape k and scale λ: mean = λ Γ(1 + 1/k)."""

    kind: Literal["weibull"]
    shape: float = Field(gt=0)
    scale: Minutes = Field(gt=0)

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    @property
    def variance(self) -> float:
        return self.scale**2 * (math.gamma(1 + 2 / self.shape) - math.gamma(1 + 1 / self.shape) ** 2)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)


class Triangular(_Spec):
    """Triangular on [low, high] with the given mode."""

    kind: Literal["triangular"]
    low: Minutes
    mode: Minutes
    high: Minutes

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(
                f"needs low <= mode <= high and low < high; got low={self.low:g}min, "
                f"mode={self.mode:g}min, high={self.high:g}min"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)


class Uniform(_Spec):
    """Uniform on [low, high]."""

    kind: Literal["uniform"]
    low: Minutes
    high: Minutes

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high <= self.low:
            raise ValueError(f"needs low < high; got low={self.low:g}min, high={self.high:g}min")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Constant(_Spec):
    """Always the same value."""

    kind: Literal["constant"]
    value: Minutes

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # consume the stream anyway, so switching a stage to constant keeps the others aligned
        rng.random(size)
        return np.full(size, self.value)


class Empirical(_Spec):
    """Observed values (drawn with equal weight) or quantiles ``{p: value}`` (linear between them)."""

    kind: Literal["empirical"]
    values: MinutesList | None = Field(default=None, min_length=1)
    quantiles: MinutesTable | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Empirical:
        if (self.values is None) == (self.quantiles is None):
            raise ValueError("give exactly one of 'values' (a list) or 'quantiles' (a map p -> value)")
        if self.quantiles is not None:
            probs = sorted(self.quantiles)
            if probs[0] != 0 or probs[-1] != 1:
                raise ValueError(f"quantiles must include p=0 and p=1; got p from {probs[0]} to {probs[-1]}")
            values = [self.quantiles[p] for p in probs]
            if any(b < a for a, b in zip(values, values[1:])):
                raise ValueError("quantile values must not decrease as p increases")
        return self

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        assert self.quantiles is not None
        probs = np.array(sorted(self.quantiles))
        return probs, np.array([self.quantiles[p] for p in probs])

    @property
    def mean(self) -> float:
        if self.values is not None:
            return float(np.mean(self.values))
        p, v = self._table()
        return float(np.sum(np.diff(p) * (v[1:] + v[:-1]) / 2))

    @property
    def variance(self) -> float:
        if self.values is not None:
            return float(np.var(self.values))
        p, v = self._table()
        # E[X²] of a piecewise-uniform distribution
        second = np.sum(np.diff(p) * (v[1:] ** 2 + v[1:] * v[:-1] + v[:-1] ** 2) / 3)
        return float(second - self.mean**2)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.values is not None:
            return np.asarray(self.values)[rng.integers(0, len(self.values), size)]
        p, v = self._table()
        return np.interp(rng.random(size), p, v)


Distribution = Annotated[
    Exponential | LogNormal | Gamma | Weibull | Triangular | Uniform | Constant | Empirical,
    Field(discriminator="kind"),
]
DISTRIBUTION_KINDS = ("exponential", "lognormal", "gamma", "weibull", "triangular", "uniform", "constant", "empirical")


_TIME_FIELDS = {"exponential": ("mean_",), "lognormal": ("mean_",), "gamma": ("mean_",), "weibull": ("scale",),
                "triangular": ("low", "mode", "high"), "uniform": ("low", "high"), "constant": ("value",)}


def times(spec: Any, factor: float) -> Any:
    """The distribution of ``factor`` times a draw of ``spec`` (a validated distribution): its shape kept, every
    duration it is given by scaled."""
    if not factor > 0 or factor == float("inf"):
        raise ValueError(f"a duration can be scaled by a positive finite factor, not {factor!r}")
    if spec.kind != "empirical":
        return spec.model_copy(update={name: getattr(spec, name) * factor for name in _TIME_FIELDS[spec.kind]})
    if spec.values is not None:
        return spec.model_copy(update={"values": [v * factor for v in spec.values]})
    return spec.model_copy(update={"quantiles": {p: v * factor for p, v in spec.quantiles.items()}})


@functools.cache
def _adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(Distribution)


def as_distribution(spec: Any) -> Any:
    """Validate a plain dict (e.g. ``{"kind": "exponential", "mean": "10min"}``) into a distribution."""
    return _adapter().validate_python(spec)
