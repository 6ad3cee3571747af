"""Staffing what-ifs against ground truths that servsim did not make.

Each desk of :mod:`desks` (an independent SimPy simulator) is run as it is and under each staffing change of
``desks.CHANGES`` with the same tickets (common random numbers); the true effect of a change is the mean paired
difference over ``--truth-seeds`` runs. servsim is calibrated, with its default options, on the completion-only
export of the unchanged desk's first run, given the same change (the L2 factor as the person-hours the truth's
whole people realise) and run for ``--replications`` replications with common random numbers. Printed per desk:

- the baseline fit: servsim's baseline KPI against the truth's, relative error;
- per change and KPI: true and predicted change, servsim's 95% interval, relative error;
- the summary: median relative error of the predicted change, the share with the right sign and the share of
  servsim's intervals that cover the true change, over the (change, KPI) pairs whose true change is material
  (at least ``MATERIAL`` of the baseline value; a change that truly does nothing has no relative error). With
  ``--uncertainty N``, also the coverage of the intervals that include input uncertainty, the same allowing for
  the truth's own noise (the true change is a mean over ``--truth-seeds`` runs: its 95% Student-t half-width
  added in quadrature), and the median share of the interval's variance that comes from the history.

KPIs are computed alike on both sides from the ticket tables: tickets created after the first week, times to first
response and to resolution (p50, p90; a ticket not answered or resolved by the end counts as longer than any), the
tickets resolved per week after the first week and the backlog open at the end.

    python benchmarks/bench_ground_truth.py                       # all six desks, 6 weeks, ~5 minutes
    python benchmarks/bench_ground_truth.py --desks campus --weeks 4 --replications 5
    python benchmarks/bench_ground_truth.py --uncertainty 10       # and intervals with input uncertainty
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

import desks  # noqa: E402

import servsim  # noqa: E402
from servsim.calibration.uncertainty import resample  # noqa: E402
from servsim.experiment.stats import input_interval  # noqa: E402
from servsim.scenario import scenario_from_dict  # noqa: E402

KPIS = ("frt_p50_h", "frt_p90_h", "ttr_p50_h", "ttr_p90_h", "resolved_per_week", "backlog_end")
MATERIAL = 0.05  # a true change below this share of the baseline value is no effect to size
STABLE = 0.15  # a baseline KPI whose truth runs differ by more (max - min, of their mean) is on a cliff
WARMUP_WEEKS = 1


def kpis(created: pd.Series, answered: pd.Series, resolved: pd.Series, start: pd.Timestamp, weeks: int) -> dict:
    """The benchmark's KPIs of one ticket table (times as timestamps, NaT: not yet)."""
    end = start + pd.Timedelta(weeks=weeks)
    warm = start + pd.Timedelta(weeks=WARMUP_WEEKS)
    inside = (created >= warm) & (created < end)

    def hours(done: pd.Series) -> np.ndarray:
        late = done.isna() | (done >= end)
        return np.where(late[inside], np.inf, (done - created)[inside].dt.total_seconds() / 3600.0)

    frt, ttr = hours(answered), hours(resolved)
    done = resolved.notna() & (resolved >= warm) & (resolved < end)
    return {"frt_p50_h": _quantile(frt, 0.5), "frt_p90_h": _quantile(frt, 0.9),
            "ttr_p50_h": _quantile(ttr, 0.5), "ttr_p90_h": _quantile(ttr, 0.9),
            "resolved_per_week": float(done.sum()) / (weeks - WARMUP_WEEKS),
            "backlog_end": float(((created < end) & (resolved.isna() | (resolved >= end))).sum())}


def _covered(changes: pd.DataFrame, low: str, high: str) -> float:
    """The share of ``changes`` whose true change lies within the interval ``low``-``high`` widened by the truth's
    own noise (its mean over ``true_df + 1`` runs: the Student-t half-width, added in quadrature)."""
    noise = stats.t.ppf(0.975, changes["true_df"]) * changes["true_se"]
    return float((np.abs(changes["predicted"] - changes["true"])
                  <= np.hypot((changes[high] - changes[low]) / 2, noise)).mean())


def _quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile, counting ``inf`` (not yet) as above everything; the largest finite value if it falls
    among them (so that the KPI stays finite)."""
    ordered = np.sort(values)
    if not len(ordered):
        return float("nan")
    value = ordered[min(int(np.ceil(q * len(ordered))) - 1, len(ordered) - 1)]
    return float(value if np.isfinite(value) else ordered[np.isfinite(ordered)].max())


def truth_kpis(run: desks.Run, weeks: int) -> dict:
    t = run.tickets
    return kpis(t["created"], t["first_response"], t["resolved"], run.start, weeks)


def model_kpis(result, start: pd.Timestamp, weeks: int) -> dict:
    t = result.tickets
    return kpis(t["created_at"], t["first_response_at"], t["resolved_at"], start, weeks)


def servsim_change(data: dict, change: str, desk: desks.Desk) -> dict:
    """The scenario mapping ``data`` given the desk's change, as a user would give it to servsim (unchanged where the
    model has no such team: the sojourn-only skeleton cannot express a staffing change, so it predicts none)."""
    data = copy.deepcopy(data)
    teams = data["teams"]
    if not {"l1", "l2"} <= set(teams):
        return data
    if change.startswith("l2_x"):
        changed = desks.CHANGES[change](desk)
        teams["l2"]["scale"] = desks.person_hours(changed, "L2") / desks.person_hours(desk, "L2")
    elif change == "l1_evening_plus2":
        teams["l1"]["shifts"]["evening_plus2"] = {"days": "Mon-Fri", "start": "17:00", "end": "21:00",
                                                  "headcount": 2}
    elif change == "l1_off_saturday":
        for shift in teams["l1"]["shifts"].values():
            if "Sat" in shift["days"]:
                shift["days"] = [d for d in shift["days"] if d != "Sat"] or ["Sat"]
                if shift["days"] == ["Sat"]:
                    shift["headcount"] = 0
    else:
        raise ValueError(f"no servsim counterpart for change {change!r}")
    return data


def bench_desk(name: str, weeks: int, truth_seeds: int, replications: int, calibrate_options: dict,
               export: str = "events", draws: int = 0, draw_replications: int = 3) -> pd.DataFrame:
    desk = desks.DESKS[name]
    started = time.perf_counter()
    base_runs = [desks.simulate(desk, weeks, seed) for seed in range(truth_seeds)]
    truth_runs = pd.DataFrame([truth_kpis(r, weeks) for r in base_runs])
    truth_base = truth_runs.mean()
    # how far the truth's own runs differ (the log calibrated on is one of them): a KPI on a cliff cannot be matched
    truth_spread = (truth_runs.max() - truth_runs.min()) / truth_base.abs()
    truth_change, truth_se = {}, {}
    for change, apply in desks.CHANGES.items():
        changed = apply(desk)
        diffs = [pd.Series(truth_kpis(desks.simulate(changed, weeks, seed), weeks)) - pd.Series(truth_kpis(r, weeks))
                 for seed, r in enumerate(base_runs)]
        truth_change[change] = pd.DataFrame(diffs).mean()
        truth_se[change] = pd.DataFrame(diffs).std(ddof=1) / np.sqrt(len(diffs)) if len(diffs) > 1 else \
            pd.DataFrame(diffs).mean() * np.nan
    simulated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        write = desks.write_event_log if export == "events" else desks.write_ticket_table
        log, mapping = write(base_runs[0], Path(folder))
        history = servsim.import_log(log, export, mapping)
        started = time.perf_counter()
        cal = servsim.calibrate(history, **calibrate_options)
        calibrated = time.perf_counter() - started
    base = cal.scenario
    start = pd.Timestamp(base.clock.start)
    cal_weeks = int(base.clock.horizon // 10080)
    if cal_weeks != weeks:  # a backlog or an overloaded queue grows with the weeks: compare like with like
        print(f"   note: servsim calibrated {cal_weeks} weeks of the truth's {weeks}; its KPIs cover {cal_weeks}")
    data = base.model_dump(mode="json", by_alias=True)
    scenarios = {"baseline": base}
    for change in desks.CHANGES:
        scenarios[change] = scenario_from_dict(servsim_change(data, change, desk), source=f"{name} {change}")
    predicted = {key: pd.DataFrame([model_kpis(servsim.simulate(s, seed=r), start, cal_weeks)
                                    for r in range(replications)]) for key, s in scenarios.items()}
    drawn = _drawn(cal, desk, name, draws, draw_replications, start, cal_weeks) if draws else {}
    rows = []
    for kpi in KPIS:
        rows.append({"desk": name, "change": "baseline", "kpi": kpi, "true": truth_base[kpi],
                     "predicted": predicted["baseline"][kpi].mean(), "low": np.nan, "high": np.nan,
                     "truth_spread": truth_spread[kpi]})
        for change in desks.CHANGES:
            diff = (predicted[change][kpi] - predicted["baseline"][kpi]).to_numpy()
            half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0
            row = {"desk": name, "change": change, "kpi": kpi, "true": truth_change[change][kpi],
                   "true_se": truth_se[change][kpi], "true_df": truth_seeds - 1,
                   "predicted": diff.mean(), "low": diff.mean() - half, "high": diff.mean() + half,
                   "base": truth_base[kpi]}
            if drawn:
                per_draw = np.array([(d[change][kpi] - d["baseline"][kpi]).to_numpy() for d in drawn])
                found = input_interval(diff, per_draw)
                row |= {"low_total": found["low"], "high_total": found["high"], "input_share": found["input_share"]}
            rows.append(row)
    out = pd.DataFrame(rows)
    shown = ("capacity", "teams", "cover", "process", "the process", "queues", "the log names")
    out.attrs.update(simulated=simulated, calibrated=calibrated, utilisation=base_runs[0].utilisation,
                     notes=[n for n in cal.notes if n.startswith(shown)])
    return out


def _drawn(cal, desk: desks.Desk, name: str, draws: int, replications: int, start: pd.Timestamp,
           weeks: int) -> list[dict[str, pd.DataFrame]]:
    """Per input-uncertainty draw of ``cal`` (:func:`servsim.calibration.uncertainty.resample`), the KPIs of the
    baseline and each change, ``replications`` each (common random numbers within a draw, independent across)."""
    out = []
    for k, drawn in enumerate(resample(cal, draws, seed=0).scenarios, start=1):
        data = drawn.model_dump(mode="json", by_alias=True)
        scenarios = {"baseline": drawn} | {change: scenario_from_dict(servsim_change(data, change, desk),
                                                                       source=f"{name} {change} draw {k}")
                                           for change in desks.CHANGES}
        out.append({key: pd.DataFrame([model_kpis(servsim.simulate(s, seed=k * 1000 + r), start, weeks)
                                       for r in range(replications)]) for key, s in scenarios.items()})
    return out


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per desk (and overall): baseline fit, median relative error, right sign and coverage of material changes."""
    rows = []
    for desk, own in [*table.groupby("desk", sort=False), ("all", table)]:
        base = own[own["change"] == "baseline"]
        fit = (base["predicted"] - base["true"]).abs() / base["true"].abs()
        stable = base["truth_spread"] <= STABLE
        changes = own[(own["change"] != "baseline") & (own["true"].abs() >= MATERIAL * own["base"].abs())]
        error = (changes["predicted"] - changes["true"]).abs() / changes["true"].abs()
        rows.append({"desk": desk, "baseline_fit_median": fit.median(), "baseline_fit_worst": fit.max(),
                     "worst_where_truth_stable": fit[stable].max(),
                     "material_changes": len(changes), "median_rel_error": error.median(),
                     "right_sign": (np.sign(changes["predicted"]) == np.sign(changes["true"])).mean(),
                     "covered": ((changes["low"] <= changes["true"]) & (changes["true"] <= changes["high"])).mean(),
                     "sim_with_truth_noise": _covered(changes, "low", "high"),
                     **({"covered_with_input": ((changes["low_total"] <= changes["true"])
                                                & (changes["true"] <= changes["high_total"])).mean(),
                         "with_truth_noise": _covered(changes, "low_total", "high_total"),
                         "input_share": changes["input_share"].median()} if "low_total" in changes else {})})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desks", default=",".join(desks.DESKS))
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--truth-seeds", type=int, default=8)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--utilisation", type=float, help="calibrate assuming this utilisation (the old way)")
    parser.add_argument("--no-capacity", action="store_true", help="calibrate the sojourn-only model")
    parser.add_argument("--format", choices=["events", "tickets"], default="events",
                        help="the export servsim calibrates on: the event log, or the ticket table (no people)")
    parser.add_argument("--uncertainty", type=int, default=0, metavar="N",
                        help="also run N input-uncertainty draws of each calibration and report the coverage of the "
                             "intervals that include input uncertainty")
    parser.add_argument("--draw-replications", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the full table as CSV here")
    args = parser.parse_args(argv)
    options = {"utilisation": args.utilisation, "capacity": False if args.no_capacity else None}
    tables = []
    for name in args.desks.split(","):
        table = bench_desk(name, args.weeks, args.truth_seeds, args.replications, options, args.format,
                           args.uncertainty, args.draw_replications)
        tables.append(table)
        print(f"\n== {name}: truth utilisation " + ", ".join(f"{t} {u:.2f}" for t, u in
                                                            table.attrs["utilisation"].items()) +
              f"; truth runs {table.attrs['simulated']:.1f} s, servsim calibration {table.attrs['calibrated']:.1f} s")
        for note in table.attrs["notes"]:
            print(f"   {note[:300]}")
        print(table.drop(columns=["desk", "base"]).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    table = pd.concat(tables, ignore_index=True)
    print("\n== summary (material changes: true change at least "
          f"{MATERIAL:.0%} of the baseline value)")
    print(summarise(table).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
