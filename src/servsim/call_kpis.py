"""Call-centre KPIs of a ticket log, history or simulated: the figures a workforce planner reads.

A *call* is a ticket of a channel whose callers can hang up (a channel with a patience). Of the calls created in
the measurement window (offered):

- ``calls_offered``;
- ``asa_min``: average speed of answer, the mean wait of the answered calls;
- ``service_level_<T>s``: answered within T seconds, for each threshold of the scenario's ``service_level`` (20 s
  and 60 s by default), out of the calls offered or, with ``out_of: offered_less_short_abandons``, out of those
  less the short abandons;
- ``waited_share``: callers who were not answered at once (P(wait > 0): answered after a wait, hung up, or still
  waiting at the end);
- ``short_abandon_rate``: callers who hung up within ``short_abandon`` (5 s by default), out of the calls offered
  (they count in ``abandonment_rate`` too);
- ``occupancy``: the agents' busy share of their staffed time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WAITED_MIN = 1e-9  # a wait longer than this is a wait (answered at once: 0)


def service_level_name(threshold_min: float) -> str:
    """The KPI of a threshold in minutes: ``service_level_20s``."""
    return f"service_level_{round(threshold_min * 60)}s"


def call_kpis(is_call: np.ndarray, answer_wait: np.ndarray, abandon_wait: np.ndarray, thresholds: list[float],
              short_abandon: float, out_of: str) -> dict[str, float]:
    """The KPIs of the module from the tickets of the window: ``is_call`` (bool), ``answer_wait`` (minutes to the
    first response, NaN where none) and ``abandon_wait`` (minutes to hanging up, NaN where the caller did not);
    ``thresholds`` and ``short_abandon`` in minutes; ``out_of`` as :class:`~servsim.scenario.model.ServiceLevel`."""
    answer, abandon = answer_wait[is_call], abandon_wait[is_call]
    offered = len(answer)
    answered = ~np.isnan(answer) & np.isnan(abandon)
    short = np.sum(abandon <= short_abandon)  # NaN compares False
    base = offered - short if out_of == "offered_less_short_abandons" else offered
    out = {"calls_offered": float(offered),
           "asa_min": float(answer[answered].mean()) if answered.any() else float("nan"),
           "waited_share": float(np.mean(~(answered & (answer <= WAITED_MIN)))) if offered else float("nan"),
           "short_abandon_rate": float(short / offered) if offered else float("nan")}
    for threshold in thresholds:
        within = np.sum(answered & (answer <= threshold + WAITED_MIN))
        out[service_level_name(threshold)] = float(within / base) if base > 0 else float("nan")
    return out


def occupancy(busy_h: np.ndarray, staffed_h: np.ndarray) -> float:
    """The agents' busy share of their staffed hours, all teams together."""
    staffed = float(np.sum(staffed_h))
    return float(np.sum(busy_h)) / staffed if staffed > 0 else float("nan")


def per_interval(tickets: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, call_channels,
                 thresholds: list[float] = (20 / 60, 1.0), interval_min: int = 60) -> pd.DataFrame:
    """The call KPIs per interval of the week (index ``weekday``, ``start`` ``HH:MM``) of the calls (tickets of
    ``call_channels``) created in ``[start, end)``: ``calls`` (all of them), ``abandonment``, ``waited_share``,
    ``service_level_<T>s`` (out of the calls offered) and ``asa_min``. Intervals without calls are absent."""
    t = tickets[(tickets["created_at"] >= start) & (tickets["created_at"] < end)
                & tickets["channel"].astype(str).isin(list(call_channels))]
    answer = (t["first_response_at"] - t["created_at"]).dt.total_seconds().to_numpy() / 60.0
    abandoned = t["abandoned_at"].notna().to_numpy()
    answered = ~np.isnan(answer) & ~abandoned
    minute = (t["created_at"].dt.hour * 60 + t["created_at"].dt.minute).to_numpy() // interval_min * interval_min
    frame = pd.DataFrame({"weekday": pd.Categorical(t["created_at"].dt.day_name().str[:3].to_numpy(),
                                                    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
                          "start": [f"{m // 60:02d}:{m % 60:02d}" for m in minute], "calls": 1.0,
                          "abandonment": abandoned, "waited_share": ~(answered & (answer <= WAITED_MIN)),
                          **{service_level_name(th): answered & (answer <= th + WAITED_MIN) for th in thresholds},
                          "asa_min": np.where(answered, answer, np.nan)})
    grouped = frame.groupby(["weekday", "start"], observed=True)
    shares = grouped[[c for c in frame.columns if c not in ("weekday", "start", "calls")]].mean()
    return shares.assign(calls=grouped["calls"].sum())
