"""Taking the wait for a free person out of the capacity model's delays.

A completion-only log's sojourn in a stage contains everything that happened in it: the delay (a colleague, a
vendor, the customer), the wait for a free person and the work. :mod:`~servsim.calibration.models.capacity` splits the
work off each sojourn; the wait cannot be read from the log, because it depends on the staffing the model adds.
So it is measured on the model itself: simulate the calibrated scenario, collect each work stage's waits (from
joining its queue to being taken) and take them out of the delay before that stage. The delays change the moments
the work arrives, so the waits are measured again on the corrected model and the correction is redone from the
original delays (a fixed-point iteration; ``ROUNDS`` rounds; the delays written come from the last round's waits
alone, so the rounds before it, which only place the work, run one replication).

The wait is removed by deconvolution, not by scaling or shifting the delay: the wait does not grow with the delay,
and it is mostly zero with a long tail (a ticket arriving when someone is free is taken at once), so what it takes
out is the sojourns' tail, not their body. Where a piece of work comes in bands of its sojourn (quick and slow),
the wait is taken out of the bands' delays together and the result banded again: a quick delay has no tail to give.
"""

from __future__ import annotations

import copy

import numpy as np

from .capacity import BANDS, band_of, quantile_table, set_delays, unbanded
from .probe import PROBE_REPLICATIONS, probe

ROUNDS = 2
EM_ITERATIONS = 200
MAX_WAITS = 1000  # waits per stage used in a deconvolution (their quantiles, if there are more)


def remove_waits(data: dict, source: str, notes: list[str]) -> dict[str, float]:
    """Take, in place, the wait for a free person that the model itself shows at each work stage of the scenario
    mapping ``data`` out of the delay before that stage. Returns the mean waits of the last round (work stage ->
    minutes)."""
    work_stages = {name for name, stage in data["stages"].items() if stage.get("team")}
    original = copy.deepcopy(data["ticket_types"])
    means = []
    for round_ in range(ROUNDS):
        waits = _waits(data, work_stages, source, PROBE_REPLICATIONS if round_ == ROUNDS - 1 else 1)
        means.append({stage: float(w.mean()) for stage, w in waits.items()})
        data["ticket_types"] = copy.deepcopy(original)
        done: dict = {}  # many steps share a delay and the stage after it: each pair deconvolved once
        for tt in data["ticket_types"].values():
            for name, step in tt["steps"].items():
                if name not in work_stages:
                    _shorten(step, waits, done)
    last = means[-1]
    if last:
        slowest = sorted(last, key=last.get, reverse=True)[:3]
        notes.append("waits for a free person are inside the log's sojourns, so they are taken out of the delays "
                     f"before the work (measured on the model; {ROUNDS} rounds, mean wait per work stage " +
                     " -> ".join(f"{np.mean(list(m.values())):.0f}" for m in means) + " min); longest at " +
                     ", ".join(f"{s} ({last[s]:.0f} min)" for s in slowest))
    return last


def _waits(data: dict, work_stages: set[str], source: str, replications: int) -> dict[str, np.ndarray]:
    """The minutes from joining the queue to being taken, per work stage, in the probe's runs of ``data``."""
    work = probe(data, source, replications).work
    return {str(k): v.to_numpy() for k, v in work[work["stage"].isin(work_stages)].groupby("stage")["wait"]}


def _shorten(step: dict, waits: dict[str, np.ndarray], done: dict) -> None:
    """Take the waits at the stage each route of ``step`` leads to out of that route's delay (``done``: the
    deconvolutions made so far, by delay and stage)."""
    if "next" not in step:  # a closing step
        return
    route = {step["next"]: 1.0} if isinstance(step["next"], str) else step["next"]
    by_next = step.get("work_by_next", {})
    waited = [t for t in route if np.any(waits.get(t, np.zeros(0)) > 0)]
    if not waited:
        return
    delays = {t: by_next.get(t, step["work"]) for t in route}
    banded: dict[str, list[str]] = {}  # the routes to the bands of one piece of work share one delay
    for t in waited:
        base, _, band = t.rpartition("_")
        banded.setdefault(base if band in BANDS else t, []).append(t)
    for routes in banded.values():
        if len(routes) != len(BANDS):
            delays.update({t: _once(done, delays[t], (t,), waits) for t in routes})
            continue
        bands = {t.rpartition("_")[2]: t for t in routes}
        whole = _once(done, unbanded({band: delays[t] for band, t in bands.items()}), tuple(routes), waits)
        delays.update({t: band_of(whole, *BANDS[band]) for band, t in bands.items()})
    main = max((t for t in route if t not in by_next), key=route.get, default=max(route, key=route.get))
    set_delays(step, delays, main)


def _once(done: dict, spec: dict, stages: tuple[str, ...], waits: dict[str, np.ndarray]) -> dict:
    """:func:`deconvolved` of ``spec`` and the waits at ``stages``, remembered in ``done``."""
    key = (repr(spec), stages)
    if key not in done:
        done[key] = deconvolved(spec, np.concatenate([waits[t] for t in stages]))
    return copy.deepcopy(done[key])


def deconvolved(spec: dict, waits: np.ndarray) -> dict:
    """The duration ``D`` such that ``D + W`` (``W`` drawn from ``waits``, independently) is distributed like
    ``spec``: an empirical quantile table, found by Richardson-Lucy (EM) deconvolution on the points of ``spec``'s
    own table. A wait that is mostly zero leaves the body of ``spec`` in place and takes the tail in."""
    p, q = quantile_table(spec)
    waits = np.asarray(waits, float)
    if not np.any(waits > 0):
        return {"kind": "empirical", "quantiles": {float(k): round(float(v), 3) for k, v in zip(p, q)}}
    if len(waits) > MAX_WAITS:  # the waits' quantiles stand for them
        waits = np.quantile(waits, (np.arange(MAX_WAITS) + 0.5) / MAX_WAITS)
    points, where = np.unique((q[1:] + q[:-1]) / 2, return_inverse=True)  # spec as masses at its cells' middles
    observed = np.bincount(where, weights=np.diff(p), minlength=len(points))
    cuts = (points[1:] + points[:-1]) / 2
    ends = points[None, :] + waits[:, None]  # wait x point
    landing = np.where(ends <= q[-1], np.searchsorted(cuts, ends), len(points))  # past the longest: not seen
    n = len(points)
    kernel = np.bincount((landing + np.arange(n) * (n + 1)).ravel(), minlength=n * (n + 1)).reshape(n, n + 1)
    kernel = kernel[:, :-1].T / len(waits)  # landing cell x point
    back = kernel.T / np.maximum(kernel.sum(axis=0), 1e-12)[:, None]
    mass = observed.copy()
    for _ in range(EM_ITERATIONS):
        mass *= back @ (observed / np.maximum(kernel @ mass, 1e-300))
    cumulative = np.cumsum(mass) / mass.sum()
    probabilities = np.round(np.linspace(0, 1, 101), 2)
    values = points[np.minimum(np.searchsorted(cumulative, probabilities - 1e-12), len(points) - 1)]
    values[0] = points[np.argmax(mass > 0)] if q[0] > 0 else 0.0
    return {"kind": "empirical", "quantiles": {float(k): round(float(v), 3) for k, v in zip(probabilities, values)}}
