"""The ``servsim`` command: validate, schema, run (tables, JSON, output folder), errors."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

import servsim
from helpers import BASELINE, SCENARIOS
from servsim.cli import main
from servsim.log import EVENT_COLUMNS, TICKET_COLUMNS


def test_validate_reports_each_file(capsys):
    assert main(["validate", str(BASELINE), str(SCENARIOS / "vip-first.yaml")]) == 0
    out = capsys.readouterr().out
    assert "baseline.yaml: valid (baseline: 4 channels, 4 ticket types, 5 teams" in out
    assert "vip-first.yaml: valid" in out


def test_validate_fails_with_exit_code_2_and_the_problem(tmp_path, capsys):
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: baseline.yaml\npolicies: {queue: fastest}\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: policies.queue: 'fastest': Input should be 'priority', 'fifo' or 'vip_first'" in err


def test_schema_is_json_with_every_section(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"clock", "demand", "teams", "stages", "ticket_types", "priorities", "policies"} <= set(
        schema["properties"])


def test_run_writes_the_ticket_log_kpis_and_metadata(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(BASELINE), "--seed", "7", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "first response within target" in printed and "By priority" in printed and "By team" in printed
    tickets = pd.read_parquet(out / "tickets.parquet")
    events = pd.read_parquet(out / "events.parquet")
    assert list(tickets.columns[: len(TICKET_COLUMNS)]) == TICKET_COLUMNS
    assert list(events.columns) == EVENT_COLUMNS
    kpis = json.loads((out / "kpis.json").read_text())
    expected = servsim.simulate(servsim.load_scenario(BASELINE), seed=7).kpis().to_dict()
    assert kpis["overall"] == pytest.approx(expected["overall"], nan_ok=True)
    for key in ("frt_mean_min", "frt_p90_min", "frt_within_target", "ttr_p50_min", "resolution_within_target",
                "sla_attainment", "fcr_rate", "escalation_rate", "reopen_rate", "abandonment_rate",
                "backlog_at_horizon", "cost_total", "cost_per_resolved_ticket"):
        assert key in kpis["overall"]
    assert set(kpis["by_pool"]) == {"l1", "l2", "l3", "field", "back_office"}
    run = json.loads((out / "run.json").read_text())
    assert run["seed"] == 7 and run["tickets"] == len(tickets) and len(run["scenario_hash"]) == 16
    # the resolved scenario written beside the log reads back to the same scenario
    assert servsim.load_scenario(out / "scenario.yaml") == servsim.load_scenario(BASELINE)


def test_run_json_prints_only_json(capsys):
    assert main(["run", str(SCENARIOS / "chatbot.yaml"), "--seed", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert 0 < data["overall"]["deflection_rate"] < 0.2


def test_compare_speaks_in_units_and_says_better_or_worse(tmp_path, capsys):
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")
    short = tmp_path / "short.yaml"
    short.write_text("extends: baseline.yaml\nname: short\nclock: {horizon: 3w, warmup: 1w}\n")
    more = tmp_path / "more.yaml"
    more.write_text("extends: short.yaml\nname: more-l2\nteams:\n  l2:\n    shifts:\n      software: {headcount: 6}\n")
    assert main(["compare", str(short), str(more), "--replications", "4", "--executor", "serial", "--quiet"]) == 0
    out = capsys.readouterr().out
    block = out.split("\nbacklog, time average\n", 1)[1].split("\n\n", 1)[0]
    assert "better" in block.splitlines()[1]  # more L2 people: a smaller backlog, which is better
    assert re.search(r"SLA attainment\n  short\s+\d+\.\d% ± \d+\.\d pts\n  more-l2\s+\d+\.\d% ± \d+\.\d pts\s+"
                     r"[+-]\d+\.\d pts \[", out)
    # more people cost more
    assert re.search(r"cost, total \(¤, over the window\)\n  short\s+[\d,]+ ± [\d,.]+\n  more-l2 .*worse", out)
    assert re.search(r"first response, mean\n  short\s+\d+\.\dmin ± ", out)
    # one line answers: the staff cost a week and a month (no currency set: the currency sign) and in FTE first,
    # then what moved materially, the side effects last
    assert re.search(r"\nmore-l2: staff cost \+[\d,]+ ¤ a week \[\+[\d,]+, \+[\d,]+\], \+[\d,]+ ¤ a month "
                     r"\(\+\d\.\d FTE of 40 h a week\); .*backlog, time average .*, better", out)
    # an interval's bounds in the unit of its centre
    for centre, low, high in re.findall(r"([+-][\d.]+(?:min|h|d)) \[([+-][\d.]+(?:min|h|d)), ([+-][\d.]+(?:min|h|d))\]",
                                        out):
        assert centre[-1] == low[-1] == high[-1], (centre, low, high)


def test_materiality_is_the_scenarios_or_the_command_lines(tmp_path, capsys):
    """A scenario's ``materiality`` sets how large a change must be to be called better or worse; ``--material``
    overrides it for one command (a KPI's threshold in its unit; shares; relative) and names a KPI it cannot find."""
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")
    short = tmp_path / "short.yaml"
    short.write_text("extends: baseline.yaml\nname: short\nclock: {horizon: 3w, warmup: 1w}\n")
    more = tmp_path / "more.yaml"
    more.write_text("extends: short.yaml\nname: more-l2\nteams:\n  l2:\n    shifts:\n      software: {headcount: 6}\n")
    common = ["compare", str(short), str(more), "--replications", "4", "--executor", "serial", "--quiet"]

    def backlog_verdict() -> str:
        out = capsys.readouterr().out
        return out.split("\nbacklog, time average\n", 1)[1].split("\n\n", 1)[0].splitlines()[1]

    assert main(common) == 0 and backlog_verdict().endswith("better")
    assert main([*common, "--material", "backlog_mean=1000"]) == 0 and backlog_verdict().endswith("no material change")
    assert main([*common, "--material", "relative=0.99"]) == 0 and backlog_verdict().endswith("no material change")
    big = tmp_path / "big.yaml"
    big.write_text("extends: short.yaml\nname: short\nmateriality: {kpis: {backlog_mean: 1000}}\n")
    assert main(["compare", str(big), str(more), "--replications", "4", "--executor", "serial", "--quiet"]) == 0
    assert backlog_verdict().endswith("no material change")
    assert main([*common, "--material", "relative=inf"]) != 0
    assert "--material: relative: Input should be a finite number" in capsys.readouterr().err
    assert main([*common, "--material", "backlog_men=10"]) != 0
    assert "--material: unknown KPI 'backlog_men' (did you mean 'backlog_mean'?)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*common, "--material", "backlog_mean"])
    assert "expected KPI=THRESHOLD" in capsys.readouterr().err


def test_replications_auto_says_whether_it_reached_its_precision(capsys):
    assert main(["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "vip-first.yaml"), "--replications",
                 "auto", "--precision", "0.001", "--max-replications", "2", "--executor", "serial", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "(95% CI half-width within 0.1% of the mean of frt_mean_min" in out
    assert re.search(r"--replications auto: did NOT reach the precision asked .* with 2 replications \(the cap "
                     r"--max-replications 2\)", out)


def test_compare_set_takes_one_value_per_path(capsys):
    """``compare --set`` makes one changed copy of the first scenario; several values are a sweep's, and said so."""
    assert main(["compare", str(BASELINE), "--set", "teams.l2.scale=0.8,0.9", "--replications", "2"]) == 2
    assert "--set 'teams.l2.scale=0.8,0.9': compare takes one value per path (sweep takes several)" in \
        capsys.readouterr().err
