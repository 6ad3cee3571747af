"""The ``servsim`` command: a thin layer over the library functions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import ServsimError
from .files import write_csv, write_figure, write_text, writing
from .version import __version__


def _validate(args: argparse.Namespace) -> int:
    from .scenario import load_scenario
    from .scenario.load_check import check_load

    for path in args.scenarios:
        s = load_scenario(path)
        check = check_load(s)
        for message in check.warnings() + ([f"{check.size_error()}"] if check.size_error() else []):
            print(f"warning: {path}: {message}", file=sys.stderr)
        print(f"{path}: valid ({s.name}: {len(s.demand.channels)} channels, {len(s.ticket_types)} ticket types, "
              f"{len(s.teams)} teams, {sum(sh.headcount for t in s.teams.values() for sh in t.shifts.values())} "
              "people on shifts)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .scenario import Scenario

    print(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))
    return 0


def _run(args: argparse.Namespace) -> int:
    from .kpi import KpiContext, format_report
    from .one_run import simulate
    from .scenario import dump_scenario, load_scenario
    from .scenario.load_check import check_load
    from .segments import where_time_goes

    if args.out and (Path(args.out) / "scenario.yaml").resolve() == Path(args.scenario).resolve():
        raise ServsimError(f"--out {args.out}: its scenario.yaml would overwrite the scenario file {args.scenario}; "
                           "choose another folder")
    scenario = load_scenario(args.scenario)
    for message in check_load(scenario).warnings():
        print(f"warning: {args.scenario}: {message}", file=sys.stderr)
    result = simulate(scenario, seed=args.seed, force=args.force)
    report = result.kpis()
    time_goes = where_time_goes(result.tickets, result.events, KpiContext.from_scenario(scenario, result.staffing),
                                args.by)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_text(out / "scenario.yaml", dump_scenario(scenario))
        tables = {"tickets.parquet": result.tickets, "events.parquet": result.events, "stock.parquet": result.stock}
        for name, table in tables.items():
            if table is not None:
                with writing(out / name) as part:
                    table.to_parquet(part, index=False)
        write_text(out / "kpis.json", report.to_json(indent=2))
        write_csv(out / "segments.csv", report.by_segment)
        write_csv(out / "where_time_goes.csv", time_goes)
        write_text(out / "run.json", json.dumps({**result.metadata(), "source": str(args.scenario)}, indent=2))
        from .report.pages import write_report

        write_report(result, out / "report.html")
    if args.json:
        print(report.to_json(indent=2))
    else:
        print(f"{scenario.name}: {len(result.tickets):,} tickets simulated, seed {args.seed}, "
              f"{result.wall_time_s:.2f} s")
        print(format_report(report))
        _print_time_goes(time_goes, args.by)
        if args.out:
            stock = " stock.parquet" if result.stock is not None else ""
            print(f"\nwritten to {args.out}/: report.html scenario.yaml tickets.parquet events.parquet{stock} "
                  "kpis.json segments.csv where_time_goes.csv run.json")
    return 0


MIN_MISSED = 5


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _print_time_goes(table, by: tuple[str, ...], rows: int = 12) -> None:
    """Where the time goes: the stages where tickets that missed their resolution target lost most, per segment."""
    from .segments import readable

    if table.empty:
        return
    title = f"by {', '.join(by)}" if by else "all tickets"
    enough = table[table["missed"] >= MIN_MISSED]  # a segment with a missed ticket or two says little
    lines = enough.sort_values("extra_when_missed_min", ascending=False).head(rows) if by else table
    top = f"; top {rows} segments with {MIN_MISSED}+ missed tickets" if by else ""
    print(f"\nWhere the time goes ({title}; per ticket until resolved{top}, by extra time of tickets that missed "
          "their resolution target)")
    print("\n".join("  " + line for line in readable(lines).to_string(index=False).splitlines()))


FORCE_HELP = "run even a scenario expected to exceed 20 million tickets per replication"


def _replications(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of replications or 'auto'") from None


def _at_least(minimum: int):
    """An argparse type: a whole number of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of at least {minimum}")
        return value
    return parse


def _share(low: float, high: float, low_included: bool = False, high_included: bool = False):
    """An argparse type: a number between ``low`` and ``high`` (each end included or not)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not ((low <= value if low_included else low < value) and (value <= high if high_included else value < high)):
            raise argparse.ArgumentTypeError(f"{text!r}: expected a number in {'[' if low_included else '('}{low:g}, "
                                             f"{high:g}{']' if high_included else ')'}")
        return value
    return parse


def _dask_address(text: str) -> str:
    """An argparse type: 'local' or a scheduler's address (tcp://host:8786, or host:8786)."""
    import re

    if text != "local" and not re.fullmatch(r"(?:[a-z]+://)?[^\s:/]+:\d{1,5}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not 'local' or a scheduler address such as tcp://host:8786")
    return text


def _dates(text: str) -> str:
    """An argparse type: a date (YYYY-MM-DD), or several separated by commas; kept as written."""
    import pandas as pd

    for part in text.split(","):
        try:
            pd.Timestamp(part.strip())
        except (ValueError, TypeError):
            raise argparse.ArgumentTypeError(f"{part.strip()!r} is not a date (YYYY-MM-DD)") from None
    return text


def _experiment_options(args: argparse.Namespace) -> dict:
    return {"precision": args.precision, "max_replications": args.max_replications, "executor": args.executor,
            "dask": args.dask, "out": args.out, "progress": False if args.quiet else None, "force": args.force}


def _with_settings(paths: list[Path], settings: list[str] | None) -> list:
    """The scenario files, and with ``--set PATH=VALUE`` (repeatable) one more: the first with those values set."""
    if not settings:
        return paths
    from .experiment import parse_setting
    from .scenario import load_scenario

    changes = {}
    for text in settings:
        path, values = parse_setting(text)
        if len(values) != 1:
            raise ServsimError(f"--set {text!r}: compare takes one value per path (sweep takes several)")
        changes[path] = values[0]
    base = load_scenario(paths[0])
    name = ", ".join(f"{path}={value}" for path, value in changes.items())
    return [base, *(load_scenario(p) for p in paths[1:]), base.with_changes(changes, name=name)]


def _compare(args: argparse.Namespace) -> int:
    from .experiment.uncertain import calibrated_scenario, draw_files

    args.scenarios = [calibrated_scenario(path) for path in args.scenarios]
    draws = draw_files(args.scenarios[0]) if args.uncertainty else []
    if draws:
        return _compare_uncertain(args, draws)
    from .experiment import run_experiment
    from .experiment.explain import row_verdict, what_changes
    from .experiment.stats import CI_METHOD
    from .kpi import format_change, format_value, headline_kpis, kpi_label

    exp = run_experiment(_with_settings(args.scenarios, args.set), args.replications, args.seed,
                         **_experiment_options(args))
    _materiality(args, exp)
    summary = exp.summary().set_index(["kpi", "scenario"])
    differences = exp.compare() if len(exp.names) > 1 else None
    comparison = differences.set_index(["kpi", "scenario"]) if differences is not None else None
    n = len(exp.replications[exp.names[0]])
    print(f"{n} replications per scenario, seed {args.seed} "
          f"({exp.n_computed} simulated, {exp.n_reused} reused); {CI_METHOD}")
    if exp.precision_note:
        print(exp.precision_note)
    width = max(len(name) for name in exp.names) + 2
    for kpi in headline_kpis(summary.index.get_level_values("kpi")):
        if (kpi, exp.names[0]) not in summary.index:
            continue
        print(f"\n{kpi_label(kpi, exp.scenarios[exp.names[0]].currency)}")
        for name in exp.names:
            row = summary.loc[(kpi, name)]
            spread = format_change(kpi, row["half_width"], row["mean"]).lstrip("+")
            line = f"  {name:<{width}}{format_value(kpi, row['mean']):>10} ± {spread:<9}"
            if comparison is not None and name != exp.names[0]:
                d = comparison.loc[(kpi, name)]
                line += (f"  {format_change(kpi, d['difference']):>10} "
                         f"[{format_change(kpi, d['ci_low'], d['difference'])}, "
                         f"{format_change(kpi, d['ci_high'], d['difference'])}]  "
                         f"{row_verdict({'kpi': kpi, **d})}")
            print(line.rstrip())
    if differences is not None:
        print()
        for name in exp.names[1:]:
            print(f"{name}: " + "; ".join(what_changes(differences, name, exp.names[0], exp.scenarios[exp.names[0]],
                                                       headline_kpis(differences["kpi"]))))
        _print_drivers(differences, exp.names[1:])
    if args.out:
        from .report.pages import write_report

        exp.save(args.out)
        write_report(exp, args.out / "report.html")
        print(f"\nwritten to {args.out}/: report.html results.csv summary.csv summary.json comparison.csv, figures "
              "(PNG), replications/ and manifest.json")
    return 0


def _compare_uncertain(args: argparse.Namespace, draws: list[Path]) -> int:
    """compare over the point calibration and its re-calibrations (input uncertainty)."""
    from .experiment.uncertain import run_uncertain
    from .kpi import format_change, format_value, headline_kpis, kpi_label

    found = run_uncertain(_with_settings(args.scenarios, args.set), draws, args.replications, args.seed,
                          draw_replications=args.draw_replications, **_experiment_options(args))
    _materiality(args, found.point)
    names, summary = found.names, found.summary().set_index(["kpi", "scenario"])
    comparison = found.compare().set_index(["kpi", "scenario"]) if len(names) > 1 else None
    print(f"{args.replications} replications of each scenario, and {found.draw_replications} on each of "
          f"{found.draws} re-calibrations on resampled history (input uncertainty), seed {args.seed}. Intervals: "
          "95%, including what the history cannot pin down [simulation noise only in brackets]; 'input' is the "
          "share of the uncertainty that comes from the history")
    width = max(len(name) for name in names) + 2
    for kpi in headline_kpis(summary.index.get_level_values("kpi")):
        if (kpi, names[0]) not in summary.index:
            continue
        print(f"\n{kpi_label(kpi, found.point.scenarios[names[0]].currency)}")
        for name in names:
            row = summary.loc[(kpi, name)]
            line = f"  {name:<{width}}{format_value(kpi, row['mean']):>10}"
            if comparison is not None and name != names[0]:
                d = comparison.loc[(kpi, name)]
                share = f"input {d['input_share']:.0%}" if d["input_share"] == d["input_share"] else ""
                c = d["difference"]
                line += (f"  {format_change(kpi, c):>10} [{format_change(kpi, d['low'], c)}, "
                         f"{format_change(kpi, d['high'], c)}]  (simulation only "
                         f"[{format_change(kpi, d['ci_low'], c)}, {format_change(kpi, d['ci_high'], c)}])  "
                         f"{share}  {d['verdict']}")
            print(line.rstrip())
    if comparison is not None:
        from .experiment.uncertain import in_words

        print(f"\n{in_words(found, comparison['input_share'])}")
    if args.out:
        from .report.pages import write_report

        written = [write_report(found, args.out / "report.html"), *found.save(args.out)]
        print(f"\nwritten to {args.out}/: " + " ".join(p.name for p in written) + ", point/ and draws/ "
              "(every replication)")
    return 0


def _print_drivers(comparison, names: list[str]) -> None:
    """Per changed scenario, the waits before stages and team workloads that moved most (why the KPIs moved)."""
    from .experiment.explain import drivers, in_words, segment_changes

    for name in names:
        found = drivers(comparison, name)
        if not found.empty:
            print(f"\nwhat moved in {name}:")
            for _, row in found.iterrows():
                print(f"  {in_words(row)}")
        found = segment_changes(comparison, name)
        if not found.empty:
            print(f"segments whose SLA attainment moved most in {name}:")
            for _, row in found.iterrows():
                print(f"  {in_words(row)}")


def _sweep_uncertain(args: argparse.Namespace, settings: list, draws: list[Path]):
    """A sweep of the point calibration (as without input uncertainty) and of every point on each re-calibration:
    the sweep, and the experiment over the draws with its summary."""
    from .experiment.sweep import Sweep, sweep_points
    from .experiment.uncertain import run_uncertain
    from .scenario import load_scenario

    base = load_scenario(args.scenario)
    scenarios, points = sweep_points(base, settings)
    found = run_uncertain(scenarios, draws, args.replications, args.seed, draw_replications=args.draw_replications,
                          reference=base, **_experiment_options(args))
    return Sweep(found.point, points), (found, found.summary())


def _sweep(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt

    from .experiment import parse_setting, run_sweep
    from .experiment.uncertain import calibrated_scenario, draw_files
    from .kpi import format_value

    settings = [parse_setting(text) for text in args.set]
    args.scenario = calibrated_scenario(args.scenario)
    draws = draw_files(args.scenario) if args.uncertainty else []
    uncertain = None
    if draws:
        sweep, uncertain = _sweep_uncertain(args, settings, draws)
    else:
        sweep = run_sweep(args.scenario, settings, args.replications, args.seed, **_experiment_options(args))
    _materiality(args, sweep)
    curves = sweep.curves()
    params = [path for path, _ in settings]
    _check_kpis(args.kpi or [], list(dict.fromkeys(curves["kpi"])))
    # the user's KPIs, then those that move most against their noise (and the cost)
    args.kpi = list(dict.fromkeys([*(args.kpi or []), *sweep.moving_kpis()]))
    table = curves[curves["kpi"].isin(args.kpi)].pivot_table(index=params, columns="kpi", values="mean")
    print(f"{len(sweep.names)} points x {len(sweep.replications[sweep.names[0]])} replications, seed {args.seed}; "
          "means (CIs in curves.csv)")
    shown = table[[k for k in args.kpi if k in table.columns]]
    print(shown.apply(lambda col: col.map(lambda v: format_value(col.name, v))).to_string())
    if uncertain is not None:
        found, summary = uncertain
        summary = summary[summary["kpi"].isin(args.kpi)]
        print(f"\nwith input uncertainty ({found.draws} re-calibrations on resampled history, "
              f"{found.draw_replications} replications each): 95% intervals, and the share from the history")
        for name in found.names:
            rows = summary[summary["scenario"] == name].set_index("kpi")
            print(f"  {name}: " + "; ".join(
                f"{k} {format_value(k, rows.loc[k, 'mean'])} [{format_value(k, rows.loc[k, 'low'])}, "
                f"{format_value(k, rows.loc[k, 'high'])}] input {rows.loc[k, 'input_share']:.0%}"
                for k in args.kpi if k in rows.index))
        curves = curves.merge(summary[["scenario", "kpi", "low", "high", "input_share"]], how="left",
                              on=["scenario", "kpi"])
    steps = sweep.steps()
    steps = steps[steps["kpi"].isin(args.kpi)]
    if not steps.empty:
        from .experiment.explain import in_words

        print("\nwhat each step changes (paired differences, 95% CI):")
        for (lower, upper), block in steps.groupby(["from", "to"], sort=False):
            print(f"  {lower} -> {upper}: " + "; ".join(in_words(row) for _, row in block.iterrows()))
    if args.out:
        from .report.pages import write_report

        sweep.save(args.out)
        write_report(sweep, args.out / "report.html", kpis=args.kpi,
                     **({"uncertain": uncertain[1]} if uncertain is not None else {}))
        write_csv(Path(args.out) / "curves.csv", curves)
        for kpi in args.kpi:
            fig = sweep.plot_sweep(kpi)
            write_figure(Path(args.out) / f"sweep_{kpi.replace('/', '_')}.png", fig, 110)
            plt.close(fig)
        print(f"\nwritten to {args.out}/: report.html curves.csv steps.csv results.csv summary.csv, sweep_*.png and "
              "other figures")
    return 0


FORMATS = ("servicenow", "tickets", "events", "callcentre")  # kept in step with calibration.load (a test checks)


def _optimize(args: argparse.Namespace) -> int:
    from .experiment.optimize import optimize
    from .experiment.uncertain import calibrated_scenario, draw_files
    from .scenario import load_scenario

    args.scenario = calibrated_scenario(args.scenario)
    scenario = load_scenario(args.scenario)
    draws = draw_files(args.scenario) if args.uncertainty else []
    found = optimize(scenario, args.vary, args.require, replications=args.replications, seed=args.seed,
                     confidence=args.confidence, out=args.out, executor=args.executor, dask=args.dask,
                     force=args.force,  # a line per staffing, even to a file: a search can take minutes
                     report=None if args.quiet else (lambda line: print(line, file=sys.stderr)),
                     draws=draws, draw_replications=args.draw_replications)
    print(f"optimize {scenario.name}: {len(found.levers)} lever(s), {len(found.requirements)} requirement(s); "
          f"{args.replications} replications per staffing, {2 * args.replications} on fresh ones to confirm; "
          f"one-sided {args.confidence:.0%} bounds" + (
              f", including input uncertainty ({len(draws)} re-calibrations of the history)" if draws else ""))
    print(found.table().rename(columns={"first_guess": "Erlang C guess"}).to_string(index=False))
    base_cost = found.baseline_cost
    explored = int((~found.frontier["confirmation"]).sum()) if not found.frontier.empty else 0
    if found.chosen is None:
        print("\n" + "; ".join(found.notes))
    else:
        import pandas as pd

        from .experiment.explain import WEEKS_A_MONTH, in_fte
        from .experiment.optimize import weekly_staff_hours
        from .kpi import currency_unit, describe, format_value

        unit, change = currency_unit(scenario.currency), found.weekly_cost - base_cost
        hours = sum(weekly_staff_hours(found.scenario).values()) - sum(weekly_staff_hours(scenario).values())
        print(f"\nweekly staff cost {found.weekly_cost:,.0f} {unit} (baseline {base_cost:,.0f}, {change:+,.0f} a week, "
              f"{change * WEEKS_A_MONTH:+,.0f} a month; {in_fte(hours, scenario)})")
        checks = found.checks
        table = pd.DataFrame({
            "requirement": [f"{describe(k)[0]} {req.split()[1]} {format_value(k, t)}"
                            for k, req, t in zip(checks["kpi"], checks["requirement"], checks["target"])],
            "mean": [format_value(k, v) for k, v in zip(checks["kpi"], checks["mean"])],
            "bound": [format_value(k, v) for k, v in zip(checks["kpi"], checks["bound"])],
            "holds": checks["holds"].map({True: "yes", False: "no"}),
            "margin": checks["margin"].map(lambda m: f"{m:.0%}"),
            "binds": checks["requirement"].isin(found.binding).map({True: "binds", False: ""})})
        print(table.to_string(index=False))
        for note in found.notes:
            print(note)
    print(f"explored {explored} staffing(s)")
    if args.out:
        from .report.pages import write_report

        written = [write_report(found, args.out / "report.html"), *found.save(args.out)]
        print(f"written to {args.out}/: " + " ".join(p.name for p in written) + " and evaluations/")
    return 0 if found.chosen is not None else 1


def _staff(args: argparse.Namespace) -> int:
    from .experiment.staff import staff
    from .experiment.uncertain import calibrated_scenario
    from .scenario import load_scenario
    from .units import parse_duration

    scenario = load_scenario(calibrated_scenario(args.scenario))
    try:
        lengths = tuple(parse_duration(part) / 60.0 for part in args.shift_lengths.split(","))
    except ValueError as exc:
        raise ServsimError(f"--shift-lengths {args.shift_lengths!r}: {exc}") from None
    plan = staff(scenario, args.require, replications=args.replications, seed=args.seed, teams=args.team,
                 shift_hours=lengths, hourly_cost=args.hourly_cost, confidence=args.confidence,
                 progress=None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True)))
    print(plan.summary())
    shown = plan.table[plan.table["measured"]]
    kpi = plan.requirement.requirement.kpi
    print(f"\nper interval (the {len(shown)} measured; all {len(plan.table)} in staffing.csv with --out): agents by "
          "simulation, Erlang A and Erlang C; the recommended staffing's KPIs on fresh replications")
    columns = ["team", "weekday", "start", "calls", "agents", "erlang_a", "erlang_c", kpi, "asa_s",
               "abandonment_rate", "occupancy", "meets"]
    print(shown[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nshifts (a week)")
    print(plan.shifts.to_string(index=False))
    if args.out:
        written = plan.save(args.out)
        print(f"written to {args.out}/: " + " ".join(p.name for p in written))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .calibration.importers.load import import_log
    from .calibration.models.build import calibrate
    from .calibration.report import console_summary, write_calibration
    from .report.pages import write_report

    if args.uncertainty == 1:
        raise ServsimError("--uncertainty 1: input uncertainty needs at least 2 re-calibrations to have a spread "
                           "(20 is a good start; 0, the default, writes none)")
    imported = import_log(args.log, args.format, args.mapping)
    print(imported.quality.to_text())
    cal = calibrate(imported, start=args.start, end=args.end, name=args.name, capacity=args.capacity,
                    utilisation=args.utilisation, balance_on_model=args.balance, daily_variation=args.daily_variation)
    if args.hourly_cost is not None:
        cal = cal.with_hourly_cost(args.hourly_cost)
    check = None
    if imported.kind == "calls":
        from .calibration.backtests.in_sample import in_sample_check

        check = in_sample_check(cal, imported.tickets)
        cal.notes.append(check.note())
    written = write_calibration(cal, imported.quality, args.out)
    if check is not None:
        written.append(args.out / "in_sample.csv")
        write_csv(written[-1], check.table())
    qq = args.out / "fits_qq.png"  # drawn once, for the file and the page
    written.append(write_report(cal, args.out / "report.html", quality=imported.quality,
                                qq_png=qq.read_bytes() if qq in written else None))
    if args.uncertainty:
        from .calibration.report import write_uncertainty
        from .calibration.uncertainty import resample

        drawn = resample(cal, args.uncertainty, args.seed)
        write_uncertainty(drawn, args.out)
        written.append(Path("uncertainty/"))
        cal.notes.append(f"input uncertainty: {args.uncertainty} re-calibrations on resampled days written to "
                         "uncertainty/ (compare and sweep use them)" + "".join(f"; {n}" for n in drawn.notes))
    if args.mapping:
        write_text(args.out / "mapping.yaml", Path(args.mapping).read_text(encoding="utf-8"))
    print("\n" + "\n".join(console_summary(cal, args.out)))
    print(f"written to {args.out}/: " + " ".join(p.name for p in written))
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from .calibration.backtests.backtest import backtest
    from .calibration.importers.load import import_log
    from .calibration.report import write_backtest, write_calibration, write_staffing_backtest
    from .report.pages import write_report

    if args.format == "callcentre" and "," in args.train_until:  # said before the log is read
        raise ServsimError(f"--train-until {args.train_until!r}: a call log's staffing backtest takes one cut-off "
                           "date (the test period follows it)")
    imported = import_log(args.log, args.format, args.mapping)
    if imported.kind == "calls":
        from .calibration.backtests.staffing_backtest import staffing_backtest

        sbt = staffing_backtest(imported, args.train_until, test_until=args.test_until,
                                history_weeks=args.history_weeks, replications=args.replications, seed=args.seed,
                                replay_work=args.replay_work, count_vru_hangups=args.count_vru_hangups)
        first, end = sbt.calibration.window
        print(f"staffing backtest: calibrated on {first:%Y-%m-%d} to {end:%Y-%m-%d}; the test period replayed with "
              f"its actual calls{', service times' if args.replay_work else ''} and roster, {args.replications} "
              "replications")
        print(sbt.summary())
        if args.out:
            write_calibration(sbt.calibration, imported.quality, args.out)
            written = [write_report(sbt, args.out / "report.html"), *write_staffing_backtest(sbt, args.out)]
            print(f"written to {args.out}/: scenario.yaml calibration.md roster.csv "
                  + " ".join(p.name for p in written))
        return 0
    if args.replay_work:
        raise ServsimError(f"{args.log}: --replay-work replays a call log's service times; this is a "
                           f"{imported.kind} log (use --capacity --replay)")
    if args.count_vru_hangups:
        raise ServsimError(f"{args.log}: --count-vru-hangups counts a call log's voice-menu hang-ups; this is a "
                           f"{imported.kind} log")
    if "," in args.train_until:  # several cut-offs: a rolling-origin backtest
        from .calibration.backtests.backtest import rolling_backtest

        weeks = int(args.test_weeks)
        table = rolling_backtest(imported, args.train_until.split(","), test_weeks=weeks,
                                 history_weeks=args.history_weeks, replications=args.replications, seed=args.seed,
                                 capacity=args.capacity, replay=args.replay, balance_on_model=args.balance)
        print(f"rolling-origin backtest: relative error of each KPI per cut-off ({weeks} test weeks each)")
        print(table.to_string(index=False, float_format=lambda v: f"{v:+.1%}"))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            write_csv(args.out / "rolling_backtest.csv", table)
            print(f"written to {args.out}/rolling_backtest.csv")
        return 0
    bt = backtest(imported, args.train_until, replications=args.replications, seed=args.seed,
                  test_until=args.test_until, history_weeks=args.history_weeks, capacity=args.capacity,
                  utilisation=args.utilisation, replay=args.replay, balance_on_model=args.balance)
    first, end = bt.calibration.window
    print(f"backtest: calibrated on {first:%Y-%m-%d} to {end:%Y-%m-%d}, {args.replications} replications of the "
          "period after it" + (", replayed with its actual tickets and roster" if args.replay else ""))
    print(bt.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.out:
        write_calibration(bt.calibration, imported.quality, args.out)
        written = [write_report(bt, args.out / "report.html"), *write_backtest(bt, args.out)]
        print(f"written to {args.out}/: scenario.yaml calibration.md " + " ".join(p.name for p in written))
    return 0


def _materiality(args: argparse.Namespace, exp) -> None:  # noqa: ANN001 - an Experiment, Sweep or its point
    """Apply ``--material`` (``KPI=THRESHOLD``, ``shares=X``, ``relative=X``) to the verdicts of ``exp``."""
    from pydantic import ValidationError

    from .scenario.model import Materiality

    if not getattr(args, "material", None):
        return
    rule = exp.materiality.model_dump()
    for name, value in args.material:
        if name in ("shares", "relative"):
            rule[name] = value
        else:
            _check_kpis([name.split("/", 1)[0]], list(dict.fromkeys(k.split("/", 1)[0] for k in exp.results["kpi"])),
                        "--material")
            rule["kpis"][name] = value
    try:
        exp.materiality = Materiality.model_validate(rule)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ServsimError(f"--material: {'.'.join(map(str, error['loc']))}: {error['msg']}") from None


def _material_option(text: str) -> tuple[str, str | float]:
    """``--material KPI=THRESHOLD``: a KPI's threshold in its unit (``frt_p90_min=10min``, ``sla_attainment=0.02``),
    or ``shares=0.02`` / ``relative=0.1`` for every share / every other KPI."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected KPI=THRESHOLD, e.g. frt_p90_min=10min, "
                                         "sla_attainment=0.02, shares=0.02 or relative=0.1")
    try:
        return name.strip(), float(value)
    except ValueError:
        return name.strip(), value.strip()


def _check_kpis(asked: list[str], known: list[str], option: str = "--kpi") -> None:
    """``--kpi`` (or ``option``) names each a KPI the results hold; an unknown one is an error suggesting the
    closest."""
    unknown = [k for k in asked if k not in known]
    if unknown:
        import difflib

        hints = [f"{k!r}" + (f" (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(k, known, 1))
                             else "") for k in unknown]
        shown = ", ".join(known[:20]) + (f", ... ({len(known)} in all)" if len(known) > 20 else "")
        raise ServsimError(f"{option}: unknown KPI {', '.join(hints)}; known: {shown}")


def _report(args: argparse.Namespace) -> int:
    from .experiment import Experiment
    from .report.pages import write_report

    if (args.folder / "uncertainty.json").is_file():  # a compare over input uncertainty
        from .experiment.uncertain import UncertainExperiment

        found = UncertainExperiment.load(args.folder)
        _materiality(args, found.point)
        path = write_report(found, args.html or args.folder / "report.html")
        print(f"{len(found.names)} scenario(s) on the point calibration and {found.draws} re-calibrations; "
              f"written {path}")
        return 0
    exp = Experiment.load(args.folder)
    _materiality(args, exp)
    if args.kpi:
        _check_kpis(args.kpi, list(dict.fromkeys(exp.results["kpi"])))
    path = write_report(exp, args.html or args.folder / "report.html", **({"kpis": args.kpi} if args.kpi else {}))
    print(f"{len(exp.names)} scenario(s) x {len(exp.replications[exp.names[0]])} replications; written {path}")
    return 0


def _add_experiment_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--replications", type=_replications, default=10,
                   help="replications per scenario, or 'auto' (see --precision); default 10")
    p.add_argument("--precision", type=_share(0, 1), default=0.05,
                   help="with --replications auto: target CI half-width as a share of the mean (default 0.05)")
    p.add_argument("--max-replications", type=_at_least(2), default=100, help="cap for --replications auto")
    p.add_argument("--seed", type=_at_least(0), default=0, help="master seed (default 0)")
    p.add_argument("--out", type=Path, help="folder for results; re-running the same command resumes")
    p.add_argument("--executor", choices=["processes", "serial"], default="processes",
                   help="local processes on all cores (default) or serial")
    p.add_argument("--dask", metavar="ADDRESS", type=_dask_address,
                   help="run on a Dask cluster: tcp://host:8786, or 'local'")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    _add_material_option(p)


def _add_material_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--material", action="append", type=_material_option, metavar="KPI=THRESHOLD",
                   help="the smallest change of a KPI worth acting on, in its unit (frt_p90_min=10min, "
                        "sla_attainment=0.02), or shares=X / relative=X for every share / every other KPI "
                        "(default: the baseline's materiality, 1 point and 5%%); smaller changes are 'no material "
                        "change' (repeat)")


def _add_uncertainty_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--uncertainty", action=argparse.BooleanOptionalAction, default=True,
                   help="where the baseline was calibrated with --uncertainty N: run every scenario on each "
                        "re-calibration too, so that the intervals include what the history cannot pin down "
                        "(default; --no-uncertainty: simulation noise only)")
    p.add_argument("--draw-replications", type=_at_least(2), help="with input uncertainty: replications of each "
                   "re-calibration (default: --replications, at most 5)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="servsim", description="What-if simulation of service-desk operations.")
    parser.add_argument("--version", action="version", version=f"servsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("scenarios", nargs="+", type=Path)
    p.set_defaults(func=_validate)
    p = sub.add_parser("schema", help="print the scenario file's JSON schema")
    p.set_defaults(func=_schema)
    p = sub.add_parser("run", help="simulate one scenario once and print its KPIs")
    p.add_argument("scenario", type=Path)
    p.add_argument("--seed", type=_at_least(0), default=0, help="master seed (default 0)")
    p.add_argument("--out", type=Path, help="folder for the scenario, ticket log, KPIs and run metadata")
    p.add_argument("--json", action="store_true", help="print the KPIs as JSON instead of tables")
    p.add_argument("--by", type=_columns, default=(), metavar="COLUMNS",
                   help="where the time goes per segment of these ticket columns crossed, e.g. "
                        "priority,ticket_type,region (default: all tickets together)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=_run)
    p = sub.add_parser("compare", help="replicate scenarios and compare each with the first (paired, with CIs)")
    p.add_argument("scenarios", nargs="+", type=Path, help="scenario files, the baseline first (or the folder "
                   "servsim calibrate wrote)")
    p.add_argument("--set", action="append", metavar="PATH=VALUE", help="compare the first scenario with a copy of "
                   "it with this value set too, e.g. teams.l2.scale=0.8 (repeat to set several in the one copy)")
    _add_uncertainty_options(p)
    _add_experiment_options(p)
    p.set_defaults(func=_compare)
    p = sub.add_parser("optimize", help="the cheapest staffing (headcounts within bounds) that meets KPI "
                                        "requirements with a stated confidence")
    p.add_argument("scenario", type=Path)
    p.add_argument("--vary", action="append", required=True, metavar="PATH=LOW..HIGH",
                   help="a headcount the optimiser may set: a shift's, e.g. teams.l2.shifts.evening.headcount=1..6, or "
                        "a roster interval's, e.g. roster.l2.Mon-Fri.08:00-12:00=2..8 (repeat)")
    p.add_argument("--require", action="append", required=True, metavar="KPI>=VALUE",
                   help="a requirement, e.g. 'sla_attainment>=0.9', 'frt_p90_min<=30min', "
                        "'sla_attainment/P1>=0.95' (repeat)")
    p.add_argument("--replications", type=_at_least(2), default=10,
                   help="per staffing tried (default 10; twice as many to confirm)")
    p.add_argument("--confidence", type=_share(0.5, 1, low_included=True), default=0.95,
                   help="one-sided confidence that each requirement holds (default 0.95)")
    p.add_argument("--seed", type=_at_least(0), default=0, help="master seed (default 0)")
    p.add_argument("--out", type=Path, help="folder for the result; re-running the same command resumes")
    p.add_argument("--executor", choices=["processes", "serial"], default="processes")
    p.add_argument("--dask", metavar="ADDRESS", type=_dask_address,
                   help="run on a Dask cluster: tcp://host:8786, or 'local'")
    p.add_argument("--quiet", action="store_true", help="no line per staffing tried")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    _add_uncertainty_options(p)
    p.set_defaults(func=_optimize)
    p = sub.add_parser("staff", help="a call centre's agents per interval of the week for a service level, by "
                                     "simulation (Erlang A and C beside it), covered by shifts")
    p.add_argument("scenario", type=Path, help="a scenario file, or a folder written by calibrate")
    p.add_argument("--require", default="service_level_20s>=0.8 per 30min", metavar="'KPI>=VALUE per INTERVAL'",
                   help="what every interval must meet: service_level_<T>s>=x, abandonment_rate<=x or asa_min<=x, "
                        "per 15min, 30min or 60min (default 'service_level_20s>=0.8 per 30min')")
    p.add_argument("--team", action="append", help="staff only this team (repeat; default: every team that answers "
                                                   "calls)")
    p.add_argument("--replications", type=_at_least(2), default=10, help="per staffing tried (default 10)")
    p.add_argument("--confidence", type=_share(0.5, 1, low_included=True), default=0.8,
                   help="one-sided confidence that each interval meets the requirement (default 0.8)")
    p.add_argument("--shift-lengths", default="4h,6h,8h", help="the shifts' lengths (default 4h,6h,8h)")
    p.add_argument("--hourly-cost", type=_share(0, 1e9, low_included=True),
                   help="cost of an agent-hour (sets the staffed teams' hourly_cost)")
    p.add_argument("--seed", type=_at_least(0), default=0, help="master seed (default 0)")
    p.add_argument("--out", type=Path, help="folder for staffing.csv, shifts.csv and staffed.yaml")
    p.add_argument("--quiet", action="store_true", help="no line per staffing tried")
    p.set_defaults(func=_staff)
    p = sub.add_parser("sweep", help="run a scenario across values of one or two parameters")
    p.add_argument("scenario", type=Path)
    p.add_argument("--set", action="append", required=True, metavar="PATH=VALUES",
                   help="e.g. teams.l2.shifts.evening.headcount=1..6 or policies.queue=priority,vip_first")
    p.add_argument("--kpi", action="append", default=None, help="KPIs to show and plot, besides those that move "
                   "most against their noise across the sweep (up to three, and the cost where it moves)")
    _add_experiment_options(p)
    _add_uncertainty_options(p)
    p.set_defaults(func=_sweep)
    p = sub.add_parser("report", help="write the HTML report of a compare or sweep folder (--out) again")
    p.add_argument("folder", type=Path, help="a folder written by compare or sweep with --out")
    p.add_argument("--html", type=Path, help="where to write the page (default: FOLDER/report.html)")
    p.add_argument("--kpi", action="append", help="for a sweep: KPIs to plot (default: those that move most against "
                                                  "their noise, and the cost)")
    _add_material_option(p)
    p.set_defaults(func=_report)
    for name, func, text in (("calibrate", _calibrate, "build a baseline scenario from a ticket export"),
                             ("backtest", _backtest, "calibrate up to a date and compare a simulation with what "
                                                     "happened after it")):
        p = sub.add_parser(name, help=text)
        p.add_argument("log", type=Path, help="the export (CSV, or a zip holding one)")
        p.add_argument("--format", choices=FORMATS, required=True,
                       help="callcentre: a call-by-call log (queue and service times, abandonment, agents)")
        p.add_argument("--mapping", type=Path, help="column mapping (YAML) for --format tickets/events")
        p.add_argument("--out", type=Path, required=name == "calibrate", help="output folder")
        p.add_argument("--capacity", action=argparse.BooleanOptionalAction, default=None,
                       help="ticket logs: staff the teams with the people the log shows on duty and give every "
                            "answer and resolution the work their completions show, so that staffing changes act "
                            "(the default where the log names people; --no-capacity: the sojourn-only model, "
                            "which cannot answer staffing questions; call logs always have capacity)")
        p.add_argument("--utilisation", type=_share(0, 1, high_included=True),
                       help="ASSUME this share of the time on duty is work: the "
                       "delay-plus-capacity model at that utilisation, a sensitivity check (default: the process "
                       "model, whose work the people's completions identify, or 60%% bounded by the log where it "
                       "cannot explain the log)")
        p.add_argument("--balance", action="store_true", help="with --capacity: set the out-of-hours covers' share "
                       "and each team's work content on the model itself, so that every team is busy the assumed "
                       "utilisation (experimental: see the README)")
        p.set_defaults(func=func)
    calibrate, backtest = sub.choices["calibrate"], sub.choices["backtest"]
    calibrate.add_argument("--start", type=_dates, help="first day to calibrate on (default: the first whole week)")
    calibrate.add_argument("--end", type=_dates,
                           help="day after the last one to calibrate on (default: the export's end)")
    calibrate.add_argument("--name", default="calibrated", help="the scenario's name")
    calibrate.add_argument("--uncertainty", type=_at_least(0), default=0, metavar="N",
                           help="also write N re-calibrations on resampled days of the history (uncertainty/): "
                                "compare and sweep then include what the history cannot pin down in their "
                                "intervals (20 is a good start)")
    calibrate.add_argument("--seed", type=_at_least(0), default=0, help="with --uncertainty: the resampling's seed")
    calibrate.add_argument("--hourly-cost", type=_share(0, 1e9, low_included=True),
                           help="cost of a staffed hour in every team (the log does not say): optimize, staff and "
                                "compare then say what staffing costs")
    calibrate.add_argument("--daily-variation", action="store_true",
                           help="where daily volumes vary more than Poisson arrivals would (a test per weekday), give "
                                "the scenario that variation (demand.daily_variation: a random factor per day)")
    backtest.add_argument("--train-until", required=True, type=_dates,
                          help="cut-off date: calibrate before, test after; several dates separated by commas run a "
                          "rolling-origin backtest (ticket logs)")
    backtest.add_argument("--test-weeks", type=_at_least(1), default=3,
                          help="with several cut-offs: weeks tested after each")
    backtest.add_argument("--test-until", type=_dates,
                          help="end of the test period (default: the end of the export's busy period: trailing "
                          "weeks under 10%% of a typical week's tickets are left out)")
    backtest.add_argument("--history-weeks", type=_at_least(1),
                          help="calibrate on only this many weeks before the cut-off "
                          "(default: all history); shorter follows a desk whose durations drift")
    backtest.add_argument("--replications", type=_at_least(1), default=10)
    backtest.add_argument("--replay", action="store_true", help="with --capacity: simulate the test period with its "
                          "actual tickets and the roster the log shows (people of each team active per hour)")
    backtest.add_argument("--replay-work", action="store_true", help="call logs: replay each served call's actual "
                          "service time too (the process model's own error; Erlang A gets each hour's actual mean)")
    backtest.add_argument("--count-vru-hangups", action="store_true", help="call logs: count callers who hung up "
                          "in the voice menu as offered and abandoned (default: not counted; said either way)")
    backtest.add_argument("--seed", type=_at_least(0), default=0)
    return parser


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.showwarning = _print_warning  # one readable line, not the warning's source location
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ServsimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        saved = _saved_replications(out)
        print("\ninterrupted" + (f"; {saved} replication(s) saved in {out}; rerun the same command to resume"
                                  if saved else ""), file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (servsim schema | head): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # a full disk, a folder that cannot be written
        print(f"error: {exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}", file=sys.stderr)
        return 2


def _saved_replications(out: Path | None) -> int:
    if out is None or not (Path(out) / "replications").is_dir():
        return 0
    return sum(1 for _ in (Path(out) / "replications").rglob("*.json"))


if __name__ == "__main__":
    sys.exit(main())
