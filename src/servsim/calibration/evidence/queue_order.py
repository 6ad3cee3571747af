"""The order in which a queue served its callers, from a call log: how far a more urgent caller jumps ahead.

Take two callers of one team who both waited and were served: a regular one who joined at ``a_r`` and a more
urgent one who joined later, at ``a_u``, while the first was still waiting. Under strict priority the urgent
one is served first however long the regular one has waited; first come, first served never lets it; a head
start ``h`` (the urgent caller counts as having come ``h`` earlier) lets it exactly when ``a_u - a_r < h``.
The head start is the cut-off in ``a_u - a_r`` that best separates the pairs where the urgent caller was served
first from the others (a change point; several agents serving at once blur, but do not move, it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_PAIRS = 200      # pairs of overlapping waits needed to say anything about the order
STRICT_QUANTILE = 0.99  # a cut-off beyond this quantile of the gaps seen is no cut-off: strict priority


@dataclass(frozen=True)
class QueueOrder:
    """How a more urgent class was served relative to a less urgent one."""

    pairs: int               # overlapping waits seen (the less urgent caller still waiting when the other came)
    overtaken: float         # share of them where the later, more urgent caller was served first
    head_start_min: float    # the cut-off; ``inf``: strict priority; 0: first come, first served
    agreement: float         # share of pairs the cut-off classifies correctly


def queue_order(joined: np.ndarray, served: np.ndarray, urgent: np.ndarray, team: np.ndarray) -> QueueOrder | None:
    """The head start of the ``urgent`` callers over the others, from callers who waited and were served:
    ``joined`` and ``served`` in minutes, ``team`` the queue each waited in. None with fewer than ``MIN_PAIRS``
    overlapping waits."""
    gaps, overtook = [], []
    for t in np.unique(team):
        mine = team == t
        a_r, s_r = joined[mine & ~urgent], served[mine & ~urgent]
        order = np.argsort(a_r, kind="stable")
        a_r, s_r = a_r[order], s_r[order]
        longest = float(np.max(s_r - a_r)) if len(a_r) else 0.0
        for a_u, s_u in zip(joined[mine & urgent], served[mine & urgent]):
            lo, hi = np.searchsorted(a_r, a_u - longest, "left"), np.searchsorted(a_r, a_u, "left")
            waiting = s_r[lo:hi] > a_u  # joined before, still waiting when the urgent caller came
            gaps.append(a_u - a_r[lo:hi][waiting])
            overtook.append(s_u < s_r[lo:hi][waiting])
    if not gaps or sum(len(g) for g in gaps) < MIN_PAIRS:
        return None
    gap, over = np.concatenate(gaps), np.concatenate(overtook)
    order = np.argsort(gap, kind="stable")
    gap, over = gap[order], over[order]
    # a cut-off just above the k-th smallest gap: pairs below it should be overtaken, those at or above not
    correct = np.concatenate([[0], np.cumsum(over)]) + (np.sum(~over) - np.concatenate([[0], np.cumsum(~over)]))
    k = int(np.argmax(correct))
    cut = 0.0 if k == 0 else (float(gap[k - 1]) + float(gap[k])) / 2 if k < len(gap) else np.inf
    if cut > np.quantile(gap, STRICT_QUANTILE):
        cut = np.inf
    return QueueOrder(len(gap), float(over.mean()), cut, float(correct[k]) / len(gap))
