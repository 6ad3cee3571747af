"""Queue disciplines, chosen by name in ``policies.queue``.

A discipline gives each ticket a static class (lower is served first) when it is
created; within a class tickets are served first come, first served. Agents are
chosen longest-idle first among those who hold the ticket's skill and region.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (priority rank per ticket, is-VIP flag per ticket, number of priorities) -> class per ticket
Discipline = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def _fifo(prio: np.ndarray, vip: np.ndarray, n_prio: int) -> np.ndarray:
    return np.zeros_like(prio)


def _priority(prio: np.ndarray, vip: np.ndarray, n_prio: int) -> np.ndarray:
    return prio.copy()


def _vip_first(prio: np.ndarray, vip: np.ndarray, n_prio: int) -> np.ndarray:
    return np.where(vip, 0, n_prio) + prio


QUEUE_DISCIPLINES: dict[str, Discipline] = {"fifo": _fifo, "priority": _priority, "vip_first": _vip_first}
