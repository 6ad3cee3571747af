"""Bad scenarios fail with a message naming the file, the field path, the bad value and the fix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import servsim
from helpers import BASELINE, SCENARIOS
from servsim import ScenarioError


@pytest.fixture
def change(tmp_path: Path):
    """Write a change file extending a copy of the baseline; return its path."""
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")

    def write(text: str, name: str = "change.yaml") -> Path:
        path = tmp_path / name
        path.write_text("extends: baseline.yaml\n" + text, encoding="utf-8")
        return path

    return write


def test_shipped_scenarios_are_valid():
    for path in SCENARIOS.glob("*.yaml"):
        scenario = servsim.load_scenario(path)
        assert scenario.version == 1


def test_misspelt_key_is_an_error_with_a_suggestion(change):
    path = change("teams:\n  l2:\n    shifts:\n      evening: {headcont: 3}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "change.yaml: teams.l2.shifts.evening.headcont: unknown key; did you mean 'headcount'?")):
        servsim.load_scenario(path)


def test_route_to_a_missing_team(change):
    path = change("stages:\n  l2: {team: level2, escalation: true}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "change.yaml: stages.l2.team: unknown team 'level2'; defined: back_office, field, l1, l2, l3")):
        servsim.load_scenario(path)


def test_route_to_a_missing_stage(change):
    path = change("ticket_types:\n  fault:\n    steps:\n      l2: {work: {kind: exponential, mean: 45min}, "
                  "next: {resolve: 0.85, l4: 0.15}}\n")
    with pytest.raises(ScenarioError, match=re.escape("ticket_types.fault.steps.l2.next: unknown stage 'l4'")):
        servsim.load_scenario(path)


def test_probabilities_not_summing_to_one(change):
    path = change("ticket_types:\n  how_to:\n    steps:\n      intake: {work: {kind: exponential, mean: 4min}, "
                  "next: {resolve: 0.5, l1_fix: 0.45}}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "change.yaml: ticket_types.how_to.steps.intake.next: the route's probabilities sum to 0.95; "
            "they must sum to 1")):
        servsim.load_scenario(path)


def test_mix_not_summing_to_one(change):
    path = change("demand:\n  mix:\n    priorities: {P1: 0.5, P2: 0.6}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "demand.mix.priorities: the priorities shares sum to 1.1; they must sum to 1")):
        servsim.load_scenario(path)


def test_negative_duration(change):
    path = change("ticket_types:\n  how_to:\n    steps:\n      l1_fix: {work: {kind: lognormal, mean: -9min, cv: 1}}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "ticket_types.how_to.steps.l1_fix.work.mean: '-9min' is negative; a duration must be >= 0")):
        servsim.load_scenario(path)


def test_duration_without_unit_is_explained(change):
    path = change("clock: {horizon: 9 weeks and a bit}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "clock.horizon: '9 weeks and a bit' is not a duration; expected a number with a unit")):
        servsim.load_scenario(path)


def test_shift_ending_before_it_starts(change):
    path = change('teams:\n  l1:\n    shifts:\n      evening: {start: "22:00", end: "06:00"}\n')
    with pytest.raises(ScenarioError, match=re.escape(
            "teams.l1.shifts.evening: ends (06:00) before it starts (22:00); split an overnight shift")):
        servsim.load_scenario(path)


def test_time_of_day_out_of_range(change):
    path = change('teams:\n  l1:\n    shifts:\n      weekend: {start: "25:00"}\n')
    with pytest.raises(ScenarioError, match=re.escape(
            "teams.l1.shifts.weekend.start: '25:00' is not a time of day (HH:MM, 00:00 to 24:00)")):
        servsim.load_scenario(path)


def test_unknown_distribution_kind(change):
    path = change("ticket_types:\n  how_to:\n    steps:\n      l2: {work: {kind: erlang, mean: 25min}}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "ticket_types.how_to.steps.l2.work: unknown distribution kind 'erlang'; expected one of: exponential, "
            "lognormal, gamma, weibull, triangular, uniform, constant, empirical")):
        servsim.load_scenario(path)


def test_skill_nobody_holds(change):
    path = change("teams:\n  l3:\n    skills: [hardware]\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "teams.l3.skills: no shift or roster row holds skill 'software', which ticket type 'fault' needs at "
            "stage 'l3'")):
        servsim.load_scenario(path)


def test_every_problem_is_listed_at_once(change):
    path = change('teams:\n  l1:\n    shifts:\n      weekend: {start: "25:00", headcount: -1}\n')
    with pytest.raises(ScenarioError, match=r"2 problem\(s\) in the scenario") as info:
        servsim.load_scenario(path)
    assert "teams.l1.shifts.weekend.headcount: -1: Input should be greater than or equal to 0" in str(info.value)


def test_missing_and_circular_extends(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("extends: nowhere.yaml\n")
    with pytest.raises(ScenarioError, match=r"a\.yaml: extends: 'nowhere\.yaml' not found"):
        servsim.load_scenario(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("extends: c.yaml\n")
    (tmp_path / "c.yaml").write_text("extends: b.yaml\n")
    with pytest.raises(ScenarioError, match=r"extends: circular chain of files \(b\.yaml -> c\.yaml -> b\.yaml\)"):
        servsim.load_scenario(tmp_path / "b.yaml")


def test_change_file_overrides_only_what_it_names(baseline):
    evening = servsim.load_scenario(SCENARIOS / "l2-evening.yaml")
    assert evening.teams["l2"].shifts["evening"].headcount == 3
    assert evening.teams["l2"].shifts["evening"].start == baseline.teams["l2"].shifts["evening"].start
    assert evening.teams["l1"] == baseline.teams["l1"]
    assert evening.ticket_types == baseline.ticket_types


def test_a_route_in_a_change_file_replaces_the_whole_row(change):
    path = change("ticket_types:\n  fault:\n    steps:\n      l2: {work: {kind: exponential, mean: 45min}, "
                  "next: resolve}\n")
    scenario = servsim.load_scenario(path)
    assert scenario.ticket_types["fault"].steps["l2"].next == {"resolve": 1.0}
    assert scenario.ticket_types["fault"].steps["l2"].work.kind == "exponential"


def test_unknown_distribution_parameter_lists_that_kinds_parameters(change):
    path = change("ticket_types:\n  how_to:\n    steps:\n      l2: {work: {kind: lognormal, mean: 25min, cv: 1, "
                  "sd: 3min}}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "ticket_types.how_to.steps.l2.work.sd: unknown key; expected one of: kind, mean, cv")):
        servsim.load_scenario(path)


def test_work_by_next_must_name_a_route_target(change):
    path = change("ticket_types:\n  fault:\n    steps:\n      intake: {work: {kind: exponential, mean: 5min}, "
                  "next: l1_fix, work_by_next: {l2: {kind: exponential, mean: 9min}}}\n")
    with pytest.raises(ScenarioError, match=re.escape(
            "change.yaml: ticket_types.fault.steps.intake.work_by_next.l2: 'l2' is not a target of this step's "
            "next; expected one of: l1_fix")):
        servsim.load_scenario(path)


def test_schema_and_cross_reference_problems_are_reported_together(change):
    # a schema error (negative headcount, a bad time, a negative duration) does not hide the cross-checks
    path = change("teams:\n  l2:\n    shifts:\n      evening: {headcount: -2, start: '25:00'}\n"
                  "stages:\n  l2: {team: level2, escalation: true}\n"
                  "ticket_types:\n  fault:\n    steps:\n      l2: {work: {kind: exponential, mean: -45min}, "
                  "next: {resolve: 0.85, l3: 0.15}}\n"
                  "      l1_fix: {work: {kind: exponential, mean: 20min}, next: {resolve: 0.9, l4: 0.1}}\n")
    with pytest.raises(ScenarioError) as caught:
        servsim.load_scenario(path)
    message = str(caught.value)
    assert "teams.l2.shifts.evening.headcount: -2" in message
    assert "teams.l2.shifts.evening.start: '25:00'" in message
    assert "ticket_types.fault.steps.l2.work.mean" in message
    assert "stages.l2.team: unknown team 'level2'" in message
    assert "ticket_types.fault.steps.l1_fix.next: unknown stage 'l4'" in message
    # what follows only from taking a bad value out is not reported (the step l2 is not "missing")
    assert "5 problem(s)" in message, message
