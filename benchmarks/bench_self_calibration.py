"""How good is calibration in servsim's own world? (the parametric bootstrap of the estimator)

A desk of :mod:`desks` is calibrated with servsim's defaults (the model S0). S0 is then taken as the truth: it is
simulated, its completion-only event log exported (one row per completed activity: case, activity, resource,
team, timestamp; no start or queue-entry stamps) and calibrated again (S1), ``--refits`` times on fresh runs. Each
team's utilisation in S0 and S1, and the change each predicts for the second line scaled by ``--factors``, show
the estimator's own bias and spread where the model is right by construction: what is left over on the
independent desks (``bench_ground_truth.py``) is the model's error.

    python benchmarks/bench_self_calibration.py                  # the bank desk, 2 refits, ~3 minutes
    python benchmarks/bench_self_calibration.py --desk telco --refits 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import desks  # noqa: E402
from bench_ground_truth import model_kpis  # noqa: E402

import servsim  # noqa: E402
from servsim.scenario.load_check import check_load  # noqa: E402

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def mapping(s: servsim.Scenario) -> str:
    """An event-log mapping for the exports of ``s``: each stage's activity is its name without its team's suffix
    (the process model names stages ``<activity>_<team>``); the roles follow from the stages' flags and routes."""
    def activity(stage: str) -> str:
        team = s.stages[stage].team
        return stage.removesuffix(f"_{team}") if team else stage

    first, escalation, waits, resolution = set(), set(), set(), set()
    for tt in s.ticket_types.values():
        for name, step in tt.steps.items():
            route = step.next or {}
            if s.stages[name].first_response and s.stages[name].team is None:  # a zero-length marker
                first |= {activity(p) for p, other in tt.steps.items() if name in (other.next or {})}
            elif s.stages[name].first_response:
                first.add(activity(name))
            if s.stages[name].escalation:
                escalation.add(activity(name))
            if s.stages[name].team is None and not s.stages[name].first_response:
                waits.add(activity(name))
            if "resolve" in route:
                resolution.add(activity(name))
    listed = {"first_response": first, "escalation": escalation, "wait_customer": waits, "resolution": resolution,
              "reopen": {"Reopen"}, "bookkeeping": {"Create"}}
    lines = ["columns: {case: case, activity: activity, timestamp: timestamp, resource: resource, team: team,",
             "          priority: priority, category: category, channel: channel}",
             f'timestamp_format: "{TIME_FORMAT}"', "activities:"]
    lines += [f"  {role}: [{', '.join(sorted(names))}]" for role, names in listed.items() if names]
    return "\n".join(lines) + "\n"


def export(result: servsim.SimulationResult, folder: Path) -> tuple[Path, Path]:
    """The completion-only event log of a run of a process model, and its mapping. A reopening, which the events
    table shows only as a step entered later than the ticket's previous event ended, is its own "Reopen" event
    (as in the desks' logs): without it, the work after a reopening reads as work after the resolution."""
    s, t, e = result.scenario, result.tickets, result.events
    ordered = e.sort_values(["ticket_id", "enqueued_at"], kind="stable")
    previous_end = ordered.groupby("ticket_id")["ended_at"].shift()
    reopened = ordered[ordered["enqueued_at"] > previous_end + pd.Timedelta(seconds=1)]
    marker = e["activity"].map(lambda a: s.stages[a].team is None and s.stages[a].first_response)
    e = e[~marker & e["ended_at"].notna()]
    activity = e.apply(lambda r: r["activity"].removesuffix(f"_{r['pool']}") if isinstance(r["pool"], str)
                       else r["activity"], axis=1)
    log = pd.concat([
        pd.DataFrame({"case": t["ticket_id"].astype(str), "activity": "Create", "resource": None, "team": None,
                      "timestamp": t["created_at"]}),
        pd.DataFrame({"case": reopened["ticket_id"].astype(str), "activity": "Reopen", "resource": None,
                      "team": None, "timestamp": reopened["enqueued_at"]}),
        pd.DataFrame({"case": e["ticket_id"].astype(str), "activity": activity, "resource": e["resource"],
                      "team": e["pool"], "timestamp": e["ended_at"]})])
    attributes = pd.DataFrame({"case": t["ticket_id"].astype(str), "priority": t["priority"],
                               "category": t["category"], "channel": t["channel"]})
    log = log.merge(attributes, on="case").sort_values("timestamp", kind="stable")
    folder.mkdir(parents=True, exist_ok=True)
    log.to_csv(folder / "events.csv.gz", index=False, date_format=TIME_FORMAT)
    (folder / "mapping.yaml").write_text(mapping(s))
    return folder / "events.csv.gz", folder / "mapping.yaml"


def changes(s: servsim.Scenario, factors: list[float], replications: int) -> pd.DataFrame:
    """The mean paired change of the benchmark's KPIs when ``s``'s second line is scaled by each factor."""
    start, weeks = pd.Timestamp(s.clock.start), int(s.clock.horizon // 10080)
    base = [pd.Series(model_kpis(servsim.simulate(s, seed=r), start, weeks)) for r in range(replications)]
    rows = {}
    for factor in factors:
        cut = s.with_changes({"teams.l2.scale": factor})
        rows[factor] = pd.DataFrame([pd.Series(model_kpis(servsim.simulate(cut, seed=r), start, weeks)) - b
                                     for r, b in enumerate(base)]).mean()
    return pd.DataFrame(rows).T


def utilisation(s: servsim.Scenario) -> dict[str, float]:
    return {team: offered / capacity for team, (offered, capacity) in check_load(s).load.items() if capacity > 0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desk", default="bank", choices=list(desks.DESKS))
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--refits", type=int, default=2)
    parser.add_argument("--factors", default="0.7,0.85,1.3")
    parser.add_argument("--replications", type=int, default=4)
    args = parser.parse_args(argv)
    factors = [float(f) for f in args.factors.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        run = desks.simulate(desks.DESKS[args.desk], args.weeks, seed=0)
        log, mapped = desks.write_event_log(run, Path(folder) / "desk")
        s0 = servsim.calibrate(servsim.import_log(log, "events", mapped)).scenario
        truth = changes(s0, factors, args.replications)
        print(f"{args.desk}: S0 (calibrated on the desk) utilisation " +
              ", ".join(f"{t} {u:.3f}" for t, u in utilisation(s0).items()))
        rows = []
        for k in range(args.refits):
            log, mapped = export(servsim.simulate(s0, seed=1000 + k), Path(folder) / f"refit{k}")
            s1 = servsim.calibrate(servsim.import_log(log, "events", mapped)).scenario
            print(f"  refit {k}: utilisation " + ", ".join(f"{t} {u:.3f}" for t, u in utilisation(s1).items()))
            predicted = changes(s1, factors, args.replications)
            for factor in factors:
                for kpi in truth.columns:
                    rows.append({"refit": k, "l2 x": factor, "kpi": kpi, "S0": truth.loc[factor, kpi],
                                 "S1": predicted.loc[factor, kpi]})
    table = pd.DataFrame(rows)
    table["relative error"] = (table["S1"] - table["S0"]) / table["S0"].abs().where(table["S0"].abs() > 0)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    by_kpi = table.assign(error=table["relative error"].abs()).groupby("kpi", sort=False)["error"].median()
    print("median |relative error| of the change, S1 against S0, per KPI (the first line's are next to nothing: an "
          "L2 change does not move them): " + ", ".join(f"{k} {v:.2f}" for k, v in by_kpi.items()))


if __name__ == "__main__":
    main()
