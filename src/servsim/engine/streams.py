"""Random streams: one root seed -> one child per replication -> one Generator per named stream.

A stream's seed is derived from a stable hash of its name, not from creation order,
so adding a stream (a new channel, a new stage) never shifts any other stream.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable

import numpy as np


class Streams:
    """Named, independent ``numpy.random.Generator`` objects for one replication."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self.replication = int(replication)
        self._made: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (e.g. ``"arrivals/phone"``); the same object on each call."""
        if name not in self._made:
            key = zlib.crc32(name.encode("utf-8"))
            seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, key))
            self._made[name] = np.random.Generator(np.random.PCG64(seq))
        return self._made[name]


def uniform_sampler(random: Callable[..., np.ndarray]) -> Callable[[], float]:
    """One uniform per call from a generator's ``random``, drawn in blocks of 1,024 (the hot path's draw)."""
    return itertools.chain.from_iterable(iter(lambda: random(1024).tolist(), None)).__next__
