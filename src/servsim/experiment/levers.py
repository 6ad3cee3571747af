"""Levers: the headcounts an optimiser may set, and what setting one does to a scenario.

Two kinds:

- a **field** of the scenario that holds a headcount, by its dotted path: ``teams.l2.shifts.evening.headcount``;
- a **roster interval**: ``roster.l2.08:00-12:00`` (every day) or ``roster.l2.Mon-Fri.08:00-12:00`` — the people of
  team ``l2`` on duty in that interval of each (such) day of the simulated period but holidays, as a workforce
  planner sets headcount per interval. An interval may run past midnight (``20:00-08:00``; it belongs to the day
  it starts on). Setting it turns the team's staffing over the simulated period into a dated roster (its roster
  rows where it has them, its weekly shifts elsewhere, nobody in between) and sets that roster's headcount inside
  the interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..engine.calendar import duty_intervals, outside, roster_intervals
from ..errors import ServsimError
from ..scenario.load import set_path
from ..scenario.model import WEEKDAYS, Clock, RosterRow, Team, minutes_of_day, parse_days

_WINDOW = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class Lever:
    """A headcount the optimiser may set, within ``low..high``."""

    path: str
    low: int
    high: int

    @classmethod
    def parse(cls, text: str) -> Lever:
        """``"teams.l2.shifts.evening.headcount=1..6"`` or ``"roster.l2.Mon-Fri.08:00-12:00=2..8"``."""
        path, _, raw = text.partition("=")
        match = re.fullmatch(r"\s*(\d+)\s*\.\.\s*(\d+)\s*", raw)
        if not path.strip() or not match or int(match.group(1)) > int(match.group(2)):
            raise ServsimError(f"--vary {text!r}: expected PATH=LOW..HIGH with whole numbers, LOW <= HIGH, e.g. "
                               "teams.l2.shifts.evening.headcount=1..6 or roster.l2.Mon-Fri.08:00-12:00=2..8")
        lever = cls(path.strip(), int(match.group(1)), int(match.group(2)))
        if lever.is_roster:
            lever.window()  # refuses a malformed interval now, not at the first evaluation
        return lever

    @property
    def is_roster(self) -> bool:
        return self.path.split(".")[0] == "roster"

    @property
    def team(self) -> str | None:
        parts = self.path.split(".")
        if self.is_roster:
            return parts[1] if len(parts) > 1 else None
        return parts[1] if len(parts) > 2 and parts[0] == "teams" else None

    def window(self) -> tuple[list[str], int, int]:
        """A roster lever's days and interval: ``(days, start minute, end minute)``, the end past 1440 when the
        interval runs past midnight."""
        parts = self.path.split(".")
        if len(parts) not in (3, 4):
            raise ServsimError(f"--vary {self.path!r}: a roster interval is roster.TEAM.HH:MM-HH:MM or "
                               "roster.TEAM.DAYS.HH:MM-HH:MM, e.g. roster.l2.Mon-Fri.08:00-12:00")
        match = _WINDOW.match(parts[-1])
        try:
            days = parse_days(parts[2]) if len(parts) == 4 else list(WEEKDAYS)
            if not match:
                raise ValueError(f"{parts[-1]!r} is not an interval HH:MM-HH:MM")
            start, end = minutes_of_day(match.group(1)), minutes_of_day(match.group(2))
        except ValueError as exc:
            raise ServsimError(f"--vary {self.path!r}: {exc}") from None
        if start == end:
            raise ServsimError(f"--vary {self.path!r}: the interval is empty (it starts where it ends)")
        return days, start, end if end > start else end + 1440

    def current(self, data: dict[str, Any]) -> int:
        """The lever's value in the scenario mapping ``data``: the field, or the roster's mean headcount over the
        interval (rounded)."""
        if self.is_roster:
            clock, segments = _staffing(data, self._team_in(data))
            inside = [(hi - lo, n) for lo, hi, n, hit in _split(self.window(), clock, segments) if hit]
            minutes = sum(w for w, _ in inside)
            return int(round(sum(w * n for w, n in inside) / minutes)) if minutes > 0 else 0
        node: Any = data
        for key in self.path.split("."):
            if not isinstance(node, dict) or key not in node:
                raise ServsimError(f"--vary {self.path!r}: {key!r} is not in the scenario")
            node = node[key]
        if not isinstance(node, int) or isinstance(node, bool):
            raise ServsimError(f"--vary {self.path!r}: it holds {node!r}, not a headcount")
        return node

    def apply(self, data: dict[str, Any], value: int) -> dict[str, Any]:
        """A copy of the scenario mapping ``data`` with the lever set to ``value``."""
        if not self.is_roster:
            return set_path(data, self.path, value, what="--vary path")
        team = self._team_in(data)
        clock, segments = _staffing(data, team)
        segments = _merged([(lo, hi, value if hit else n) for lo, hi, n, hit in _split(self.window(), clock, segments)])
        rows = [r for r in data.get("roster", []) if r["team"] != team]
        rows += [{"team": team, "start": _stamp(clock.start, lo), "end": _stamp(clock.start, hi), "headcount": n}
                 for lo, hi, n in segments]
        return {**data, "roster": rows}

    def _team_in(self, data: dict[str, Any]) -> str:
        team = self.team
        if team not in data.get("teams", {}):
            raise ServsimError(f"--vary {self.path!r}: no team {team!r} (teams: {', '.join(data.get('teams', {}))})")
        own = [name for name, sh in data["teams"][team].get("shifts", {}).items()
               if sh.get("skills") is not None or sh.get("regions") is not None]
        if own:
            raise ServsimError(f"--vary {self.path!r}: shift(s) {', '.join(own)} of {team} have skills or regions of "
                               "their own, which a roster lever would merge into the team; vary their headcount "
                               "instead "
                               f"(teams.{team}.shifts.{own[0]}.headcount)")
        grouped = [i for i, r in enumerate(data.get("roster", [])) if r["team"] == team and r.get("skills") is not None]
        if grouped:
            raise ServsimError(f"--vary {self.path!r}: roster[{grouped[0]}] of {team} is a skill group (skills of its "
                               "own), which a roster lever would merge into the team; vary the team's shifts instead")
        return team


def staffing_segments(clock: Clock, team: Team, rows: list[RosterRow]) -> list[tuple[float, float, int]]:
    """A team's people on duty over the simulated period as segments ``(from, to, headcount)`` (minutes from the
    start, covering ``[0, horizon]``): its roster ``rows`` where they cover, its weekly shifts elsewhere."""
    span, people = roster_intervals(rows, clock)
    pieces = [(lo, hi, 1) for person in people for lo, hi in person]
    for shift in team.shifts.values():
        pieces += [(lo, hi, shift.headcount) for lo, hi in outside(duty_intervals(shift, clock), span)]
    edges = sorted({0.0, float(clock.horizon), *(x for lo, hi, _ in pieces for x in (lo, hi))})
    where = {x: i for i, x in enumerate(edges)}
    level = np.zeros(len(edges))
    for lo, hi, n in pieces:
        level[where[lo]] += n
        level[where[hi]] -= n
    return _merged([(a, b, int(round(n))) for a, b, n in zip(edges, edges[1:], np.cumsum(level))])


def _staffing(data: dict[str, Any], team: str) -> tuple[Clock, list[tuple[float, float, int]]]:
    clock = Clock.model_validate(data["clock"])
    rows = [RosterRow.model_validate(r) for r in data.get("roster", []) if r["team"] == team]
    return clock, staffing_segments(clock, Team.model_validate(data["teams"][team]), rows)


def _split(window: tuple[list[str], int, int], clock: Clock, segments: list[tuple[float, float, int]]
           ) -> list[tuple[float, float, int, bool]]:
    """``segments`` cut at the lever's interval on each of its days, each with whether it lies inside one."""
    days, start, end = window
    day0 = datetime(clock.start.year, clock.start.month, clock.start.day)
    offset = (clock.start - day0).total_seconds() / 60.0
    holidays = set(clock.holidays)
    spans = []
    for d in range(-1, int((offset + clock.horizon) // 1440) + 1):  # the day before: an interval past midnight
        date = day0 + timedelta(days=d)
        if WEEKDAYS[date.weekday()] in days and date.date() not in holidays:
            lo, hi = max(d * 1440 + start - offset, 0.0), min(d * 1440 + end - offset, clock.horizon)
            if hi > lo:
                spans.append((lo, hi))
    cuts = sorted({x for span in spans for x in span})
    split = []
    for lo, hi, n in segments:
        points = [lo, *(c for c in cuts if lo < c < hi), hi]
        split += [(a, b, n, any(s <= a and b <= e for s, e in spans)) for a, b in zip(points, points[1:])]
    return split


def _merged(segments: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    out: list[tuple[float, float, int]] = []
    for lo, hi, n in segments:
        if out and out[-1][2] == n and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi, n)
        else:
            out.append((lo, hi, n))
    return out


def _stamp(start: datetime, minutes: float) -> str:
    return (start + timedelta(seconds=round(minutes * 60))).isoformat(sep=" ")
