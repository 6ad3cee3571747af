"""The scenario file's schema: what an operations manager writes, validated by pydantic.

Field-level checks live here; checks that look across sections (a route naming a
stage, a stage naming a team, a skill nobody holds) are in ``checks.py``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ..distributions import Distribution, Minutes
from ..units import parse_duration, parse_rate

SCHEMA_VERSION = 1
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RESOLVE = "resolve"  # the route target that ends a ticket's handling
WAITING_FOR_PART = "waiting_for_part"  # the activity of a ticket waiting for a spare part (events table)
WRAP_UP = "wrap_up"  # the activity of a person finishing a ticket after its work (events table)

RatePerMinute = Annotated[
    float,
    BeforeValidator(parse_rate),
    PlainSerializer(lambda v: f"{v!r}/min", return_type=str),
    WithJsonSchema({"anyOf": [{"type": "string", "examples": ["12/h", "300/day", "1500/week"]}, {"type": "number"}],
                    "description": "tickets per unit of time; a bare number is per hour"}),
]


class Strict(BaseModel):
    """Base of every scenario section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _probabilities(mix: dict[str, float], what: str) -> dict[str, float]:
    if not mix:
        raise ValueError(f"{what}: none given; give at least one")
    bad = {k: v for k, v in mix.items() if not 0 <= v <= 1}
    if bad:
        raise ValueError(f"{what} has probabilities outside [0, 1]: {bad}")
    total = sum(mix.values())
    if abs(total - 1) > 1e-6:
        raise ValueError(f"{what} sum to {total:g}; they must sum to 1")
    return mix


Mix = Annotated[dict[str, float], Field(description="name -> probability; must sum to 1")]


class Clock(Strict):
    """When the simulated period starts, how long it runs and how much of it is warm-up."""

    start: datetime = Field(description="local wall-clock start, e.g. 2026-01-05 00:00 (a Monday lines shifts up)")
    horizon: Minutes = Field(gt=0, description="simulated length, e.g. '8w'")
    warmup: Minutes = Field(0.0, ge=0, description="discarded start of the run, e.g. '1w'")
    holidays: list[date] = Field(default_factory=list, description="dates on which no shift works")

    @model_validator(mode="after")
    def _warmup_inside(self) -> Clock:
        if self.warmup >= self.horizon:
            raise ValueError(
                f"warmup ({self.warmup:g}min) must be shorter than horizon ({self.horizon:g}min)"
            )
        return self


class Profile(Strict):
    """Shape of the arrival rate over the week: ``hour_of_week`` (168 values) or ``daily`` × ``weekdays``.

    Values are relative; they are normalised so the stream's ``rate`` is its weekly average.
    """

    daily: list[float] | None = Field(None, min_length=24, max_length=24, description="24 hourly factors")
    weekdays: list[float] | None = Field(None, min_length=7, max_length=7, description="7 factors, Mon..Sun")
    hour_of_week: list[float] | None = Field(None, min_length=168, max_length=168,
                                             description="168 factors, Monday 00:00 first")

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if self.hour_of_week is not None and (self.daily is not None or self.weekdays is not None):
            raise ValueError("give either hour_of_week, or daily and/or weekdays, not both")
        values = [v for part in (self.daily, self.weekdays, self.hour_of_week) if part for v in part]
        if any(v < 0 for v in values):
            raise ValueError("profile factors must be >= 0")
        if self.hour_of_week is None and self.daily is None and self.weekdays is None:
            raise ValueError("a profile needs hour_of_week, daily or weekdays")
        if sum(self.factors()) <= 0:
            raise ValueError("profile factors are all zero: the stream would never produce a ticket")
        return self

    def factors(self) -> np.ndarray:
        """168 factors (Monday 00:00 first) with mean 1."""
        if self.hour_of_week is not None:
            week = np.asarray(self.hour_of_week, float)
        else:
            daily = np.asarray(self.daily if self.daily is not None else [1.0] * 24, float)
            days = np.asarray(self.weekdays if self.weekdays is not None else [1.0] * 7, float)
            week = np.outer(days, daily).ravel()
        total = week.mean()
        return week / total if total > 0 else week


# columns of the ticket log that an attribute may not shadow
RESERVED_COLUMNS = frozenset({
    "ticket_id", "created_at", "channel", "category", "priority", "tier", "region", "first_response_at",
    "resolved_at", "closed_at", "abandoned_at", "n_escalations", "n_reopens", "final_stage", "ticket_type",
    "sla_paused_min", "direct_cost", "moved_by", "n_moves", "reminded_by", "n_reminders", "stage", "remaining_min"})
_ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def check_attribute_name(name: str) -> str:
    """An attribute's name as a ticket-log column: ``ValueError`` unless it is a new lower-case identifier."""
    if not _ATTRIBUTE_NAME.match(name):
        raise ValueError(f"attribute name {name!r}: expected lower-case letters, digits and _ (e.g. product)")
    if name in RESERVED_COLUMNS:
        raise ValueError(f"attribute name {name!r} is a column of the ticket log already; choose another name")
    return name


def _attributes(value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    for name, mix in value.items():
        check_attribute_name(name)
        _probabilities(mix, f"the shares of attribute {name!r}")
    return value


Attributes = Annotated[dict[str, Mix], AfterValidator(_attributes), Field(
    description="further ticket attributes (e.g. product): name -> value -> share; each becomes a column of "
                "the ticket log and a dimension of the KPI breakdowns")]


class MixSpec(Strict):
    """Shares of ticket types, priorities, customer tiers, regions and further attributes among arrivals."""

    ticket_types: Mix | None = None
    ticket_types_by_hour: dict[str, list[float]] | None = Field(
        None, description="per ticket type, 24 factors, one per hour of the day, on its share among the arrivals "
                          "of that hour (the hour's shares renormalised; a type not listed: 1 every hour), e.g. "
                          "new-account calls 0.5 at 07:00 and 1.6 at 16:00")
    priorities: Mix | None = None
    tiers: Mix | None = None
    regions: Mix | None = None
    attributes: Attributes = Field(default_factory=dict)

    @field_validator("ticket_types", "priorities", "tiers", "regions")
    @classmethod
    def _sums_to_one(cls, mix: dict[str, float] | None, info) -> dict[str, float] | None:
        return None if mix is None else _probabilities(mix, f"the {info.field_name} shares")

    @field_validator("ticket_types_by_hour")
    @classmethod
    def _hour_factors(cls, value: dict[str, list[float]] | None) -> dict[str, list[float]] | None:
        for name, factors in (value or {}).items():
            if len(factors) != 24:
                raise ValueError(f"{name}: 24 factors, one per hour of the day (got {len(factors)})")
            if not all(0 <= f < 1000 and math.isfinite(f) for f in factors):
                raise ValueError(f"{name}: each hour's factor is a number from 0 to 1000 (1: the type's share)")
        return value


class PatienceTable(Strict):
    """Patience that depends on what the caller wants: the most specific entry applies
    (type and priority, then type, then priority, then the channel's ``patience``)."""

    by_type: dict[str, Distribution] = Field(default_factory=dict, description="ticket type -> patience")
    by_priority: dict[str, Distribution] = Field(default_factory=dict, description="priority -> patience")
    by_type_and_priority: dict[str, dict[str, Distribution]] = Field(
        default_factory=dict, description="ticket type -> priority -> patience")

    def lookup(self, ticket_type: str, priority: str) -> tuple[str, Distribution] | None:
        """The entry for a caller (its key, used to name the random stream), or None."""
        own = self.by_type_and_priority.get(ticket_type, {}).get(priority)
        if own is not None:
            return f"{ticket_type}/{priority}", own
        if ticket_type in self.by_type:
            return ticket_type, self.by_type[ticket_type]
        if priority in self.by_priority:
            return f"*/{priority}", self.by_priority[priority]
        return None


class Channel(Strict):
    """One arrival stream, e.g. ``phone: {rate: 40/h}``."""

    rate: RatePerMinute = Field(description="weekly-average arrival rate, e.g. '40/h' or '1200/week'")
    profile: Profile | None = Field(None, description="weekly shape of the rate; constant if absent")
    mix: MixSpec | None = Field(None, description="overrides of demand.mix for this channel")
    patience: Distribution | None = Field(
        None, description="callers abandon if no first response within this time (phone)")
    patience_by: PatienceTable | None = Field(
        None, description="patience per ticket type and/or priority; callers matching no entry use patience")


class DemandPeriod(Strict):
    """Dated days on which demand differs from the weekly pattern (holidays, campaigns, a season)."""

    start: date = Field(description="first day")
    end: date = Field(description="last day (inclusive)")
    factor: float = Field(ge=0, description="multiplies every channel's rate on these days, e.g. 0.3 on a holiday")

    @model_validator(mode="after")
    def _ordered(self) -> DemandPeriod:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Demand(Strict):
    """Arrival streams by channel, the default mix of what arrives, and how volume moves with the calendar."""

    channels: dict[str, Channel] = Field(min_length=1)
    mix: MixSpec = Field(default_factory=MixSpec)
    trend: float = Field(0.0, gt=-1, description="growth of every rate per week from clock.start, e.g. 0.02 = "
                                                   "+2% a week (compounded); -0.05 = 5% fewer each week")
    calendar: list[DemandPeriod] = Field(
        default_factory=list, description="dated multipliers of the rate; where periods overlap, factors multiply")
    daily_variation: float = Field(
        0.0, ge=0, le=2, description="day-to-day variation of volume beyond Poisson: every channel's rate on a "
                                     "calendar day is multiplied by a random factor of mean 1 and this coefficient of "
                                     "variation (gamma), the same for all channels that day; 0 = none")


MAX_HEADCOUNT = 100_000  # people in one shift or roster row: more is a typo, and would not fit in memory


class Break(Strict):
    start: str
    end: str


class Shift(Strict):
    """A block of the weekly calendar with a headcount, e.g. Mon-Fri 08:00-16:00 × 4."""

    days: list[str] | str = Field("Mon-Fri", description="'Mon-Fri', 'Sat,Sun' or a list of day names")
    start: str = Field(description="HH:MM")
    end: str = Field(description="HH:MM, later than start; 24:00 is midnight at the end of the day")
    headcount: int = Field(ge=0, le=MAX_HEADCOUNT)
    breaks: list[Break] = Field(default_factory=list, description="times of day when this shift is off")
    skills: list[str] | None = Field(None, description="overrides the team's skills for this shift")
    regions: list[str] | None = Field(None, description="overrides the team's regions for this shift")

    @property
    def minutes_a_day(self) -> int:
        """Minutes worked on each of its days (breaks off)."""
        return minutes_of_day(self.end) - minutes_of_day(self.start) - sum(
            minutes_of_day(b.end) - minutes_of_day(b.start) for b in self.breaks)

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        minutes_of_day(value)
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str] | str) -> list[str]:
        days = parse_days(value)
        if not days:
            raise ValueError("no days: a shift works on at least one day, e.g. 'Mon-Fri' (remove the shift, or set "
                             "its headcount to 0, to have nobody)")
        if len(set(days)) < len(days):
            raise ValueError(f"{sorted({d for d in days if days.count(d) > 1})} named twice; name each day once")
        return days

    @model_validator(mode="after")
    def _ordered(self) -> Shift:
        if minutes_of_day(self.end) <= minutes_of_day(self.start):
            raise ValueError(
                f"ends ({self.end}) before it starts ({self.start}); split an overnight shift into "
                "two shifts, e.g. 22:00-24:00 and 00:00-06:00 on the next days"
            )
        for b in self.breaks:
            b0, b1 = minutes_of_day(b.start), minutes_of_day(b.end)
            if not minutes_of_day(self.start) <= b0 < b1 <= minutes_of_day(self.end):
                raise ValueError(f"break {b.start}-{b.end} is not inside the shift {self.start}-{self.end}")
        spans = sorted((minutes_of_day(b.start), minutes_of_day(b.end), f"{b.start}-{b.end}") for b in self.breaks)
        for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
            if start < end:
                raise ValueError(f"breaks {first} and {second} overlap; give each pause once")
        if sum(end - start for start, end, _ in spans) >= minutes_of_day(self.end) - minutes_of_day(self.start):
            raise ValueError(f"its breaks cover the whole shift {self.start}-{self.end}; nobody would ever work")
        return self


class Team(Strict):
    """A pool of people: headcount by shift, skills, regions, hourly cost, tickets per person at once."""

    hourly_cost: float = Field(0.0, ge=0, description="cost of one staffed hour")
    skills: list[str] | None = Field(None, description="ticket categories this team handles; absent = all")
    regions: list[str] | None = Field(None, description="regions this team serves (field teams); absent = all")
    concurrency: int = Field(1, ge=1, le=1000, description="tickets one person works on at once (chat desks, "
                                                            "ticket queues); each is worked independently")
    shrinkage: float = Field(0.0, ge=0, lt=1, description="share of scheduled time a person is unavailable (absence, "
                                                          "meetings, training): random stretches of absence_block, "
                                                          "each away with this probability; paid all the same")
    absence_block: Minutes = Field(60.0, gt=0, description="length of one stretch of absence (shrinkage)")
    wrap_up: Distribution | None = Field(None, description="after each piece of work a person stays unavailable for "
                                                           "this long (after-call work, notes, a short pause); "
                                                           "busy time, paid and counted in utilisation")
    shifts: dict[str, Shift] = Field(default_factory=dict,
                                     description="weekly pattern; a dated roster overrides it where it covers")
    scale: float = Field(1.0, gt=0, le=100, description="a lever on the whole team: its people on every shift and "
                                                        "roster row times this factor, rounded so that its "
                                                        "person-hours scale by it as nearly as whole people allow "
                                                        "(applied on loading, e.g. 0.8 for a fifth fewer)")


class RosterRow(Strict):
    """One dated interval of a team's headcount (a workforce planner's interval table); rows with ``skills`` are
    a skill group of the team (its people take only those categories), rows without are people of the team's
    skills."""

    team: str
    start: datetime
    end: datetime
    headcount: int = Field(ge=0, le=MAX_HEADCOUNT)
    skills: list[str] | None = Field(None, description="overrides the team's skills for these people (a skill group: "
                                                       "rows of other groups may cover the same time)")

    @model_validator(mode="after")
    def _ordered(self) -> RosterRow:
        if self.end <= self.start:
            raise ValueError(f"ends ({self.end}) at or before it starts ({self.start})")
        return self


class Stage(Strict):
    """A step of the flow and who does it; ``team`` absent means the ticket waits for the customer."""

    team: str | None = Field(None, description="the team doing the work; absent = waiting for the customer")
    first_response: bool = Field(False, description="starting this stage is the first human reply (for a stage "
                                                    "without a team: reaching it, e.g. a reply sent with the fix)")
    escalation: bool = Field(False, description="entering this stage counts as an escalation")
    travel: Distribution | dict[str, Distribution] | None = Field(
        None, description="one-way travel time before the work (field visits), or one per region")
    visit_cost: float = Field(0.0, ge=0, description="cost of each visit (travel, parts)")


class PartUse(Strict):
    """A spare part the work at a stage may need (per ticket type): drawn each time the ticket enters the stage."""

    probability: float = Field(1.0, gt=0, le=1, description="chance that the work needs the part")
    quantity: int = Field(1, ge=1, le=1000, description="units it takes")
    known: Literal["at_visit", "before_visit"] = Field(
        "at_visit", description="at_visit: found on site; without stock the visit is a diagnosis, the ticket waits "
                                "for the part and a second visit follows; before_visit: diagnosed remotely, the "
                                "ticket waits for the part before it queues for the visit")
    when: dict[str, list[str]] = Field(default_factory=dict, description="only for tickets with these attribute "
                                                                         "values, e.g. {product: [printer]}")


class Step(Strict):
    """A stage as a ticket type goes through it: its work time and where the ticket goes next."""

    work: Distribution = Field(description="work time (or the customer's delay for a waiting stage)")
    next: dict[str, float] | str | None = Field(
        None, description="route after the stage: stage name -> probability, 'resolve' ends the handling")
    work_by_next: dict[str, Distribution] = Field(
        default_factory=dict,
        description="work time of a ticket that goes to this route target next (replaces work for it), e.g. "
                    "L1 time of tickets it resolves vs tickets it escalates")
    parts: dict[str, PartUse] = Field(default_factory=dict, description="spare parts the work may need: part "
                                                                         "type -> probability, quantity")
    work_by_hour: list[float] | None = Field(
        None, min_length=24, max_length=24,
        description="24 factors, one per hour of the day: the work drawn for a ticket entering the stage in that "
                    "hour is multiplied by it (calls are longer at some hours; about 1 on average)")

    @field_validator("work_by_hour")
    @classmethod
    def _hour_factors(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and not all(0 < v < 100 and math.isfinite(v) for v in value):
            raise ValueError("each hour's factor is a positive number below 100 (1: the work as drawn)")
        return value

    @field_validator("next")
    @classmethod
    def _route(cls, value: dict[str, float] | str | None) -> dict[str, float] | None:
        if isinstance(value, str):
            return {value: 1.0}
        return None if value is None else _probabilities(value, "the route's probabilities")


class Reopen(Strict):
    probability: float = Field(ge=0, lt=1, description="chance that a resolution is reopened")
    delay: Distribution = Field(description="time from resolution to reopening")
    reenter: str = Field(description="stage the reopened ticket re-enters")


class TicketType(Strict):
    """What a kind of ticket goes through, from entry to resolution and closing."""

    category: str | None = Field(None, description="skill needed; defaults to the type's name")
    entry: str = Field(description="first stage")
    steps: dict[str, Step] = Field(min_length=1, description="stage name -> work and routing")
    closing: list[str] = Field(default_factory=list, description="stages after resolution (follow-up, QA)")
    reopen: Reopen | None = None
    deflection: float = Field(0.0, ge=0, le=1,
                              description="share answered by a bot or self-service before any human sees it")
    attributes: Attributes = Field(default_factory=dict, description="attribute shares for tickets of this type "
                                                                     "(replace the channel's and demand's)")
    priorities: Mix | None = Field(None, description="priority shares of tickets of this type (replace the "
                                                     "channel's and demand's)")

    _priority_shares = field_validator("priorities")(MixSpec._sums_to_one.__func__)


class Targets(Strict):
    """SLA targets of one priority."""

    first_response: Minutes = Field(gt=0)
    resolution: Minutes = Field(gt=0)
    calendar: str | None = Field(None, description="a name from sla_calendars: the targets count only its business "
                                                   "hours; absent = around the clock")
    head_start: Minutes = Field(0.0, ge=0, description="waiting credited on joining a queue: within its queue class "
                                                       "the ticket is served as if it had come this much earlier "
                                                       "(e.g. a bank's priority callers: '1.5min')")


class OpenHours(Strict):
    """Hours of the week in which a contract's SLA clock runs."""

    days: list[str] | str = Field("Mon-Fri", description="'Mon-Fri', 'Sat,Sun' or a list of day names")
    start: str = Field(description="HH:MM")
    end: str = Field(description="HH:MM, later than start; 24:00 is midnight at the end of the day")

    _time_of_day = field_validator("start", "end")(Shift._time_of_day.__func__)
    _days = field_validator("days")(Shift._days.__func__)

    @model_validator(mode="after")
    def _ordered(self) -> OpenHours:
        if minutes_of_day(self.end) <= minutes_of_day(self.start):
            raise ValueError(f"ends ({self.end}) at or before it starts ({self.start}); give overnight hours as two "
                             "entries, e.g. 22:00-24:00 and 00:00-06:00")
        return self


class SlaCalendar(Strict):
    """A contract's business hours: SLA times count only while it is open (e.g. Mon-Fri 08:00-18:00)."""

    hours: list[OpenHours] = Field(min_length=1, description="when the clock runs")
    holidays: list[date] = Field(default_factory=list, description="dates on which it does not run at all")


class Timer(Strict):
    """Escalation (or overflow) by time: a ticket still waiting for someone at ``waiting_at`` when its timer runs
    out moves to stage ``to`` (or, as a reminder, stays and is counted). The timer runs ``after`` from when it
    joined that queue, or, with ``share_of``, from the ticket's creation until that share of its priority's
    first-response or resolution target (in the priority's SLA clock)."""

    name: str = Field(min_length=1, max_length=60, description="the cause, as KPIs and the ticket log name it")
    waiting_at: list[str] = Field(min_length=1, description="stages whose queue the rule watches")
    action: Literal["move", "remind"] = Field("move", description="move: the ticket goes to stage 'to'; remind: "
                                                                   "a reminder is sent and the ticket stays")
    to: str | None = Field(None, description="the stage the ticket moves to (a step of every ticket type that "
                                             "waits there); not for a reminder")
    after: Minutes | None = Field(None, gt=0, description="time in that queue, e.g. '2h'")
    share_of: Literal["first_response", "resolution"] | None = Field(
        None, description="measure from creation against this target of the ticket's priority")
    share: float = Field(1.0, gt=0, le=10, description="with share_of: the share of the target, e.g. 0.8")
    priorities: list[str] | None = Field(None, description="priorities the rule applies to; absent = all")

    @model_validator(mode="after")
    def _one_clock(self) -> Timer:
        if (self.after is None) == (self.share_of is None):
            raise ValueError("give either after (time in the queue) or share_of (a share of an SLA target)")
        if self.action == "move" and self.to is None:
            raise ValueError("give the stage to move to (to), or action: remind for a reminder")
        if self.action == "remind" and self.to is not None:
            raise ValueError(f"a reminder moves nothing: remove to ({self.to!r}), or use action: move")
        return self


class Overflow(Strict):
    """Overflow by queue length: a ticket arriving at ``at`` when nobody is free and ``queue_longer_than`` tickets
    already wait for that team goes to stage ``to`` instead (another team, an outsourcing partner)."""

    name: str = Field(min_length=1, max_length=60, description="the cause, as KPIs and the ticket log name it")
    at: str = Field(description="the stage whose arrivals may overflow")
    queue_longer_than: int = Field(ge=0, le=10_000_000, description="tickets waiting for the stage's team")
    to: str = Field(description="the stage they go to instead")
    priorities: list[str] | None = Field(None, description="priorities that may overflow; absent = all")


class Cover(Strict):
    """Out-of-hours cover: a ticket about to queue for ``team`` while none of its people who could take it is on
    duty queues instead for the first team of ``by`` that has someone on duty who can (if none has, it waits for
    its own team). It stays at its stage with its work; a person of the covering team does it. The ticket log
    records it as a move by ``<team>_off_duty``. With ``share`` below 1, only that share of such tickets is
    covered (drawn per ticket); the rest wait for the team's people to come back."""

    team: str = Field(description="the team whose work is covered while nobody of it is on duty")
    by: list[str] = Field(min_length=1, description="the teams that cover it, in order of preference")
    share: float = Field(1.0, gt=0, le=1, description="the share of the work arriving while nobody of the team is "
                                                      "on duty that the cover takes; the rest waits for the team")

    @property
    def name(self) -> str:
        return f"{self.team}_off_duty"


class StockLevel(Strict):
    """Stock of one part at one depot under an (s, S) rule: whenever the stock position (on hand + on order −
    backordered) falls to ``reorder_point`` or below, order up to ``order_up_to``. ``base_stock: S`` is short for
    reorder point S − 1 (one-for-one replenishment)."""

    reorder_point: int = Field(ge=-1, le=MAX_HEADCOUNT, description="s: reorder at or below this position")
    order_up_to: int = Field(ge=0, le=MAX_HEADCOUNT, description="S: the position an order restores")
    initial: int | None = Field(None, ge=0, le=MAX_HEADCOUNT, description="on hand at the start; default "
                                                                            "order_up_to")

    @model_validator(mode="before")
    @classmethod
    def _base_stock(cls, data: Any) -> Any:
        if isinstance(data, dict) and "base_stock" in data:
            data = dict(data)
            level = data.pop("base_stock")
            if "reorder_point" in data or "order_up_to" in data:
                raise ValueError("give either base_stock, or reorder_point and order_up_to")
            if not isinstance(level, int) or isinstance(level, bool) or level < 0:
                raise ValueError(f"base_stock must be a whole number >= 0, got {level!r}")
            data.update(reorder_point=level - 1, order_up_to=level)
        return data

    @model_validator(mode="after")
    def _ordered(self) -> StockLevel:
        if self.reorder_point >= self.order_up_to:
            raise ValueError(f"reorder_point ({self.reorder_point}) must be below order_up_to ({self.order_up_to})")
        return self


class PartType(Strict):
    """A spare part: its costs, its replenishment lead time and its stock per depot (one depot per region)."""

    unit_cost: float = Field(0.0, ge=0, description="cost of one unit used")
    holding_cost: float = Field(0.0, ge=0, description="cost of one unit on hand for one day")
    order_cost: float = Field(0.0, ge=0, description="fixed cost of each replenishment order")
    lead_time: Distribution = Field(description="time from ordering to the parts being at the depot, e.g. "
                                                "{kind: lognormal, mean: 3d, cv: 0.5}")
    stock: StockLevel | dict[str, StockLevel] = Field(
        description="the stock rule at every regional depot, or one per region")

    def stock_in(self, region: str) -> StockLevel | None:
        return self.stock.get(region) if isinstance(self.stock, dict) else self.stock


class Policies(Strict):
    """Named policies (see ``servsim.engine.policies``)."""

    queue: Literal["priority", "fifo", "vip_first"] = Field(
        "priority", description="priority: by priority then FIFO; vip_first: VIP tiers ahead of everyone")
    within_class: Literal["fifo", "shortest_first"] = Field(
        "fifo", description="order within a queue class: first come, first served; or shortest_first: the ticket "
                            "whose work is shortest first (people pick the quick ones; not pre-emptive)")
    vip_tiers: list[str] = Field(default_factory=lambda: ["vip"], description="tiers that vip_first serves first")
    dispatch: Literal["skills", "generic"] = Field(
        "skills", description="skills: agents only take categories they hold; generic: anyone takes anything")
    sla_pauses_while_waiting_for_customer: bool = True
    sla_pauses_while_waiting_for_part: bool = Field(False, description="the resolution clock stops while a "
                                                                      "ticket waits for a spare part")
    timers: list[Timer] = Field(default_factory=list, description="escalation, overflow and reminders by time, "
                                                                  "checked in order")
    preemptive: list[str] = Field(default_factory=list, description="priorities that, finding nobody free, take a "
                                                                    "person from less urgent work, which resumes "
                                                                    "where it stopped (not on stages with travel)")
    overflow: list[Overflow] = Field(default_factory=list, description="overflow by queue length, first match "
                                                                       "wins")
    cover: list[Cover] = Field(default_factory=list, description="out-of-hours cover: which teams take a team's "
                                                                 "work while nobody of it is on duty")


class ServiceLevel(Strict):
    """How a call centre's KPIs count (channels whose callers can hang up: those with a patience)."""

    thresholds: list[Minutes] = Field(
        default_factory=lambda: [20 / 60, 1.0], min_length=1, max_length=8,
        description="waits within which a call counts as answered in time, each a KPI service_level_<seconds>s "
                    "(default 20s and 60s)")
    short_abandon: Minutes = Field(5 / 60, ge=0, description="callers who hang up within this wait are short "
                                                             "abandons (wrong numbers, second thoughts)")
    out_of: Literal["offered", "offered_less_short_abandons"] = Field(
        "offered", description="what a service level is a share of: every call offered, or the calls offered less "
                               "the short abandons (the two usual workforce-planning definitions)")

    @field_validator("thresholds")
    @classmethod
    def _whole_seconds(cls, thresholds: list[float]) -> list[float]:
        if any(t <= 0 or abs(t * 60 - round(t * 60)) > 1e-6 for t in thresholds):
            raise ValueError("each threshold is a positive whole number of seconds, e.g. 20s")
        return sorted(set(thresholds))


class Materiality(Strict):
    """How large a change must be to be worth acting on: a difference that is detectable but smaller is "no
    material change" in every verdict."""

    shares: float = Field(0.01, ge=0, le=1, allow_inf_nan=False,
                          description="a share (SLA attainment, utilisation, abandonment) must move at least this "
                                      "much (0.01: one point)")
    relative: float = Field(0.05, ge=0, allow_inf_nan=False,
                            description="a time, count or cost must move at least this share of its baseline value "
                                        "(0.05: 5%)")
    kpis: dict[str, float | str] = Field(
        default_factory=dict, description="thresholds of single KPIs in their own unit, replacing the two above "
                                          "(a KPI's name, e.g. frt_p90_min: 10min, sla_attainment: 0.02, "
                                          "cost_total: 5000; a name also covers its parts, sla_attainment/P1)")

    @field_validator("kpis")
    @classmethod
    def _in_minutes(cls, kpis: dict[str, float | str]) -> dict[str, float]:
        out = {}
        for name, value in kpis.items():
            if isinstance(value, str):
                try:
                    value = parse_duration(value)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
            if not (isinstance(value, (int, float)) and 0 <= value < math.inf):
                raise ValueError(f"{name}: {value!r} is not a threshold; expected a number or a duration (10min)")
            out[name] = float(value)
        return out


class Scenario(Strict):
    """A whole service organisation: demand, teams, stages, flows, SLAs and policies."""

    version: Literal[1] = Field(description="schema version of this file")
    name: str = "scenario"
    description: str = ""
    currency: str = Field("", max_length=12, description="currency of hourly and visit costs, shown with every cost "
                                                          "(e.g. EUR); empty: costs are marked with the generic "
                                                          "currency sign, ¤")
    clock: Clock
    demand: Demand
    teams: dict[str, Team] = Field(min_length=1)
    stages: dict[str, Stage] = Field(min_length=1)
    ticket_types: dict[str, TicketType] = Field(min_length=1)
    priorities: dict[str, Targets] = Field(min_length=1, description="most urgent first; SLA targets each")
    sla_calendars: dict[str, SlaCalendar] = Field(
        default_factory=dict, description="business-hours calendars that priorities' targets may count in "
                                          "(name -> hours and holidays)")
    policies: Policies = Field(default_factory=Policies)
    service_level: ServiceLevel = Field(default_factory=ServiceLevel, description="how the call-centre KPIs count "
                                                                                  "(where callers can hang up)")
    materiality: Materiality = Field(default_factory=Materiality, description="how large a change must be to "
                                                                              "be worth acting on (the verdicts)")
    fte_hours: Minutes = Field(2400.0, gt=0, description="a full-time equivalent's paid time a week (default 40h): "
                                                          "staffing changes are also said in FTE")
    parts: dict[str, PartType] = Field(default_factory=dict, description="spare parts that steps may need: name -> "
                                                                         "costs, lead time and stock per depot")
    provenance: dict[str, str] = Field(
        default_factory=dict, description="where numbers came from: field path (* wildcards) -> 'identified: ...' "
                                          "or 'assumed: ...'; compare and sweep warn when a change touches an "
                                          "assumed number")
    roster: list[RosterRow] = Field(
        default_factory=list, description="dated headcount per team (rows team, start, end, headcount, or a CSV/"
                                          "Parquet file of them); from a team's first row to its last it replaces "
                                          "the team's weekly shifts, with headcount 0 where no row covers")

    @model_validator(mode="after")
    def _scale_teams(self) -> Scenario:
        for name, team in self.teams.items():
            if team.scale != 1.0:
                blocks = [*team.shifts.values(), *(row for row in self.roster if row.team == name)]
                minutes = [b.minutes_a_day * len(b.days) if isinstance(b, Shift)
                           else (b.end - b.start).total_seconds() / 60.0 for b in blocks]
                for block, n in zip(blocks, scaled_headcounts([b.headcount for b in blocks], minutes, team.scale)):
                    block.headcount = n
                team.scale = 1.0
        return self

    def category_of(self, ticket_type: str) -> str:
        return self.ticket_types[ticket_type].category or ticket_type

    def with_changes(self, changes: dict[str, Any], name: str | None = None) -> Scenario:
        """A validated copy with each dotted path set, e.g. ``{"teams.l2.shifts.evening.headcount": 3}``; a path
        that does not exist or a value that makes the scenario invalid is a ``ScenarioError``."""
        from .load import scenario_from_dict, set_path

        data = self.model_dump(mode="json", by_alias=True)
        for path, value in changes.items():
            data = set_path(data, path, value)
        if name is not None:
            data["name"] = name
        return scenario_from_dict(data, source=f"{self.name} with {', '.join(changes)} changed")


def scaled_headcounts(headcounts: list[int], minutes: list[float], factor: float) -> list[int]:
    """Whole headcounts near ``factor`` times ``headcounts``, their person-minutes (each block lasting ``minutes``) as
    near ``factor`` times the total as whole people allow: each rounded down, then one more person in the set of
    blocks whose minutes best make up the shortfall (a subset sum, on the minutes' common step; among equally near
    sets, the one found first taking the blocks of the largest fractions first). A block of one person may close.
    (One more person in each block of the largest fraction while that brought the total nearer, the rule before,
    left a team of large blocks 2-4% off its factor: enough to halve or double an overloaded team's backlog.)"""
    exact = [factor * h for h in headcounts]
    counts = [math.floor(x + 1e-9) for x in exact]
    short = sum((x - n) * m for x, n, m in zip(exact, counts, minutes))
    candidates = sorted((k for k in range(len(counts)) if minutes[k] > 0 and exact[k] - counts[k] > 1e-9),
                        key=lambda k: counts[k] - exact[k])
    if not candidates or short <= 0:
        return counts
    whole = [max(int(round(minutes[k])), 1) for k in candidates]
    step = math.gcd(*whole)
    sizes = [w // step for w in whole]
    limit = int(math.ceil(short / step)) + max(sizes)
    by = np.full(limit + 1, -1)  # the candidate whose one more person first reached each sum (-2: the empty set)
    by[0] = -2
    for j, size in enumerate(sizes):
        if size > limit:
            continue
        fresh = np.flatnonzero((by[:limit + 1 - size] != -1) & (by[size:] == -1)) + size
        by[fresh] = j
    reached = np.flatnonzero(by != -1)
    total = int(reached[np.argmin(np.abs(reached * step - short))])
    while total > 0:
        j = int(by[total])
        counts[candidates[j]] += 1
        total -= sizes[j]
    return counts


_TIME = re.compile(r"^([01]?[0-9]|2[0-4]):([0-5][0-9])$")


def minutes_of_day(text: str) -> int:
    """``"08:30"`` -> 510; ``"24:00"`` -> 1440."""
    match = _TIME.match(str(text))
    if not match or (int(match.group(1)) == 24 and match.group(2) != "00"):
        raise ValueError(f"{text!r} is not a time of day (HH:MM, 00:00 to 24:00)")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_days(value: list[str] | str) -> list[str]:
    """``"Mon-Fri"`` or ``"Sat,Sun"`` or ``["Mon", "Wed"]`` -> day names; a range runs on through the end of the
    week (``"Sun-Thu"``: a week that starts on Sunday; ``"Fri-Mon"``: Friday to Monday)."""
    parts = value if isinstance(value, list) else [p.strip() for p in str(value).split(",")]
    days: list[str] = []
    for part in parts:
        ends = [p.strip().capitalize()[:3] for p in str(part).split("-")]
        if len(ends) > 2 or any(e not in WEEKDAYS for e in ends):
            raise ValueError(f"{part!r} is not a day or day range; expected e.g. 'Mon-Fri', 'Sat', 'Mon,Wed'")
        i, j = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        days.extend(WEEKDAYS[k % 7] for k in range(i, j + 1 if j >= i else j + 8))
    return days
