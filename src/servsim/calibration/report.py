"""Writing a calibration: the scenario YAML with its provenance in comments, the data-quality
report, a calibration report (Markdown) and its figures; and the backtest's table and figures."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..files import write_csv, write_figure, write_text
from ..version import __version__
from .backtests.backtest import Backtest
from .backtests.staffing_backtest import StaffingBacktest
from .importers.quality import DataQuality
from .models.fitted import KS_TOLERANCE, Calibration
from .uncertainty import Uncertainty

FLOAT_TAG = "tag:yaml.org,2002:float"


class _PlainDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter: 10x faster on large files
    """Writes a shared value in full each time (anchors and aliases such as ``&id001`` mean nothing to a reader)
    and quantile tables on wrapped lines rather than one line per quantile."""

    def ignore_aliases(self, data) -> bool:
        return True

    def represent_sequence(self, tag, sequence, flow_style=None):
        if len(sequence) > 8 and all(isinstance(v, float) for v in sequence):  # a profile: wrapped lines
            flow_style = True
        return super().represent_sequence(tag, sequence, flow_style)

    def represent_mapping(self, tag, mapping, flow_style=None):
        if mapping and all(isinstance(k, float) for k in mapping):  # a quantile table: one wrapped line
            flow_style = True
        return super().represent_mapping(tag, mapping, flow_style)

    def represent_float(self, data: float) -> yaml.ScalarNode:
        """As PyYAML writes a float, without its bookkeeping (a calibrated scenario has 250,000 of them)."""
        if not math.isfinite(data):
            return super().represent_float(data)
        value = repr(data)
        return yaml.ScalarNode(FLOAT_TAG, value.replace("e", ".0e", 1) if "e" in value and "." not in value else value)


_PlainDumper.add_representer(float, _PlainDumper.represent_float)


_FIT_NOTE = re.compile(r"^[\w.-]+/[\w.-]+( -> [\w.-]+)?: ")  # "type/stage -> route: ...", one per fitted duration
CONSOLE_FITS = 3  # the worst parametric fits named on the console


def console_summary(cal: Calibration, out: str | Path) -> list[str]:
    """What ``servsim calibrate`` prints after its data-quality summary: what was calibrated, the notes that say
    what was found and assumed (one per finding), the duration fits in one line (each fit's own note is in
    calibration.md) and what to do next."""
    first, end = cal.window
    lines = [f"calibrated on {first:%Y-%m-%d} to {end:%Y-%m-%d}: {len(cal.scenario.ticket_types)} ticket types, "
             f"{len(cal.scenario.demand.channels)} channels; {cal.arrivals.summary()}"]
    fit_notes = [n for n in cal.notes if _FIT_NOTE.match(n)]
    lines += [f"  note: {n}" for n in cal.notes if not _FIT_NOTE.match(n)]
    if cal.process:  # its work per stage is each stage's identified work, as a table: nothing to fit
        lines.append(f"  fits: the work of each stage is the distribution of its identified pieces; the sojourns' fits "
                     f"in calibration.md ({len(fit_notes)} notes) describe the log, the model does not use them")
    elif cal.fits:
        empirical = sum(f.family == "empirical" for f in cal.fits)
        constant = sum(f.family == "constant" for f in cal.fits)
        borrowed = sum("borrowed the fit" in n or "too few tickets in the log" in n for n in fit_notes)
        parametric = sorted((f for f in cal.fits if f.family not in ("empirical", "constant")), key=lambda f: -f.ks)
        worst = ", ".join(f"{f.ticket_type}/{f.stage}{f' -> {f.route}' if f.route else ''} {f.family} "
                          f"(KS {f.ks:.3f})" for f in parametric[:CONSOLE_FITS])
        lines.append(f"  fits: {len(cal.fits)} durations: {len(parametric)} by a family (within {KS_TOLERANCE} in "
                     f"CDF), {empirical} by their empirical (Kaplan–Meier) distribution"
                     + (f", {constant} constant (all alike)" if constant else "")
                     + (f"; {borrowed} with too few observations borrow a pooled fit" if borrowed else "")
                     + (f"; worst of the families: {worst}" if worst else "")
                     + (f" ({len(fit_notes)} notes on single fits in calibration.md)" if fit_notes else ""))
    out = Path(out)
    lines.append(f"  next: open {out / 'report.html'} (how well the model reproduces the log); "
                 f"servsim run {out / 'scenario.yaml'}; a what-if: servsim compare {out / 'scenario.yaml'} "
                 "--set teams.<team>.scale=1.1; how well it predicts: servsim backtest <log> --train-until <date>")
    return lines


def scenario_yaml(cal: Calibration, quality: DataQuality) -> str:
    """The calibrated scenario as YAML, with where each number came from in comments."""
    first, end = cal.window
    if cal.roster is not None:  # a call log: waiting and work are both in the log
        assumption = [
            "# Identified from the log: arrivals per hour of the week, call-type and priority mix, service time per",
            "# type (agents' service durations), patience per type and priority (right-censored at the waits of",
            "# served callers), teams (desks of specialists) and the agents on duty (from their calls; the dated",
            "# roster is in roster.csv). ASSUMED: agents on duty are available between calls (breaks under the idle",
            "# gap count as duty); the queue serves high priority first; SLA targets are defaults.",
        ]
    elif cal.process:  # the process model
        assumption = [
            "# Identified from the log: every activity a person completed is a piece of work of their team, its work",
            "# time bounded by their previous completion and the ticket's readiness; teams are the log's groups (the",
            "# smallest pooled), staffed with the people on duty per hour of the week (their sessions of work); each",
            "# ticket type routes from piece to piece, waits for its customers and reopens as the log shows. Nothing",
            "# else delays a ticket: the time between pieces is the queue for a free person, which this model makes.",
            "# SLA targets are defaults: the export does not contain them.",
        ]
    elif cal.staffed:  # the capacity model
        assumed = any(v.startswith("assumed") for k, v in cal.provenance.items() if k.endswith(".work"))
        how = "an ASSUMED utilisation" if assumed else "the busy time each person's completions show"
        assumption = [
            "# ASSUMPTION: the log records sojourn times (waiting + work). Teams are the log's busiest assignment",
            "# groups (the rest pooled), staffed with the people on duty per hour of the week; each answer and",
            f"# resolution is work whose total is {how} (see provenance); the rest of",
            "# each sojourn is a delay that needs nobody. SLA targets are defaults: the export does not contain them.",
        ]
    else:
        assumption = [
            "# ASSUMPTION: the log records sojourn times (waiting + work). Each stage's sojourn is used as its work "
            "and",
            "# the teams are staffed above their peak concurrency, so the model adds no queueing of its own. Replace",
            "# headcounts and work times with real ones before trying staffing changes. SLA targets are defaults:",
            "# the export does not contain them.",
        ]
    head = [
        f"# Calibrated by servsim {__version__} from {quality.source}",
        f"# {quality.tickets:,} tickets in the export; this scenario is fitted on those created "
        f"{first:%Y-%m-%d} to {end:%Y-%m-%d}.",
        f"# Arrivals: {cal.arrivals.summary()}",
        "# Durations: per ticket type and stage, exponential/lognormal/gamma/Weibull fitted with right-censoring",
        f"# (tickets still open at the end), chosen by AIC; empirical where the best family's CDF is more than "
        f"{KS_TOLERANCE} away (KS distance).",
        *assumption,
    ]
    body = yaml.dump(cal.data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=120)
    fits: dict[tuple[str, str], list] = {}
    for f in cal.fits:
        fits.setdefault((f.ticket_type, f.stage), []).append(f)
    lines = []
    current_type = None
    for line in body.splitlines():
        stripped = line.strip()
        if line.startswith("  ") and not line.startswith("   ") and stripped.endswith(":"):
            current_type = stripped[:-1]
        if line.startswith("      ") and not line.startswith("       ") and stripped.endswith(":"):
            for fit in fits.get((current_type, stripped[:-1]), []):
                lines.append(f"      # {f'to {fit.route}: ' if fit.route else ''}{fit.family}, mean {fit.mean_min:.1f} "
                             f"min, n={fit.n:,} ({fit.n_censored:,} censored), KS distance {fit.ks:.3f}")
        lines.append(line)
    return "\n".join(head) + "\n" + "\n".join(lines) + "\n"


def write_calibration(cal: Calibration, quality: DataQuality, out: str | Path) -> list[Path]:
    """Write scenario.yaml, data_quality.{txt,json}, calibration.md and figures into ``out``."""
    import matplotlib.pyplot as plt

    from ..report.figures import fit_qq

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    path = out / "scenario.yaml"
    write_text(path, scenario_yaml(cal, quality))
    written.append(path)
    write_text(out / "data_quality.txt", quality.to_text() + "\n")
    write_text(out / "data_quality.json", json.dumps(quality.to_dict(), indent=2))
    written += [out / "data_quality.txt", out / "data_quality.json"]
    qq = cal.qq_panels()
    if qq:
        fig = fit_qq(qq)
        write_figure(out / "fits_qq.png", fig, 100)
        plt.close(fig)
        written.append(out / "fits_qq.png")
    fig = _profile_figure(cal)
    write_figure(out / "arrivals.png", fig, 100)
    plt.close(fig)
    written.append(out / "arrivals.png")
    report = out / "calibration.md"
    write_text(report, _markdown(cal, quality))
    written.append(report)
    if cal.roster is not None:
        write_csv(out / "roster.csv", cal.roster, date_format="%Y-%m-%d %H:%M")
        written.append(out / "roster.csv")
    if cal.pool_team:  # which of the log's groups each team of the model stands for
        write_csv(out / "teams.csv", pd.DataFrame(sorted(cal.pool_team.items()), columns=["group", "team"]))
        written.append(out / "teams.csv")
    return written


def write_uncertainty(unc: Uncertainty, out: str | Path) -> list[Path]:
    """Write the draws of a calibration's input uncertainty into ``out/uncertainty/``: one complete scenario per draw
    (``draw_01.json`` ...: machine-written, and JSON reads many times faster than YAML), what each drew
    (``factors.csv``) and what was kept at the point estimate (``notes.txt``). Draws written before are replaced."""
    folder = Path(out) / "uncertainty"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("draw_*.*"):
        old.unlink()
    width = len(str(len(unc.scenarios)))
    written = []
    for k, scenario in enumerate(unc.scenarios, start=1):
        path = folder / f"draw_{k:0{width}d}.json"
        write_text(path, scenario.model_dump_json(by_alias=True, exclude_defaults=True))
        written.append(path)
    write_csv(folder / "factors.csv", unc.factors)
    write_text(folder / "notes.txt",
               f"servsim {__version__}: {len(unc.scenarios)} input-uncertainty draws (seed {unc.seed}): the "
               "calibrated scenario re-estimated on resampled days of its history (what each drew: factors.csv)\n"
               + "".join(f"{note}\n" for note in unc.notes))
    return [*written, folder / "factors.csv", folder / "notes.txt"]


def _profile_figure(cal: Calibration):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.arange(168) / 24.0, cal.arrivals.hour_of_week_rate_, lw=1)
    ax.set_xticks(range(8), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", ""])
    ax.set_ylabel("tickets per hour")
    ax.set_title("Arrival rate by hour of the week (calibration window)", fontsize=10)
    ax.grid(alpha=0.3)
    return fig


def _markdown(cal: Calibration, quality: DataQuality) -> str:
    first, end = cal.window
    fits = cal.fit_table().drop(columns=["qq"], errors="ignore")
    parts = [
        "# Calibration report", "",
        f"Source: `{quality.source}`; window {first:%Y-%m-%d} to {end:%Y-%m-%d}.", "",
        "## Data quality", "", "```", quality.to_text(), "```", "",
        "## Arrivals", "", cal.arrivals.summary(), "", "![arrivals](arrivals.png)", "",
        "## Routing (shares of tickets per type)", "", _table(cal.routing.round(4)), "",
        "## Fitted durations (minutes)", "", _table(fits.round(4)), "",
        "![QQ plots](fits_qq.png)", "",
    ]
    if not cal.handovers.empty:
        parts += ["## Escalation paths", "",
                  "Commonest hand-overs between teams in the log. The model sends the `escalated` share of each "
                  "ticket type (routing table) through one escalated stage; these are the teams behind it.", "",
                  _table(cal.handovers.round(4)), ""]
    drift = cal.drift.assign(week=[f"{first + pd.Timedelta(weeks=int(w)):%Y-%m-%d}" for w in cal.drift["week"]])
    parts += ["## Durations over the window" if "first_touch" in drift else "## Volume per week", "",
              "Per creation week: tickets, share resolved at the first touch, share resolved within a day. A "
              "drifting desk shows here first; the fits average over the whole window.", "",
              _table(drift.rename(columns={"week": "week of"}).round(3)), ""]
    if not cal.staffing.empty:
        summary = cal.staffing.groupby("pool")["active_people"].agg(["mean", "max"]).sort_values("max",
                                                                                              ascending=False)
        shown = f"the {min(20, len(summary))} with the highest peak of {len(summary)}" if len(summary) > 20 else "each"
        parts += ["## Staffing seen in the log", "",
                  f"Distinct people active per hour of the week in the log's groups ({shown}; mean and peak over the "
                  "week):", "", _table(summary.head(20).round(2), index=True), ""]
    if cal.notes:
        parts += ["## Notes", ""] + [f"- {n}" for n in cal.notes] + [""]
    return "\n".join(parts)


def _table(frame, index: bool = False) -> str:
    """A table as fixed-width text inside a code fence (readable as Markdown and in a terminal)."""
    return "```\n" + frame.to_string(index=index) + "\n```"


def write_backtest(bt: Backtest, out: str | Path) -> list[Path]:
    """Write backtest.csv, backtest.md and the backtest figures into ``out``."""
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "backtest.csv", out / "backtest.md"]
    write_csv(written[0], bt.table)
    write_text(written[1], "# Backtest\n\nSimulated (mean of replications, 95% CI) against actual over the test "
               "period; relative error = (simulated - actual) / actual.\n\n" + _table(bt.table.round(4)) + "\n")
    for name, fig in bt.figures().items():
        write_figure(out / f"{name}.png", fig, 100)
        plt.close(fig)
        written.append(out / f"{name}.png")
    return written


def write_staffing_backtest(bt: StaffingBacktest, out: str | Path) -> list[Path]:
    """Write staffing_backtest.csv (per KPI), staffing_cells.csv (per hour), staffing_backtest.md,
    test_roster.csv (the test period's roster as replayed) and simulated_calls.csv.gz (every replication's calls)
    into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "staffing_backtest.csv", out / "staffing_cells.csv", out / "staffing_backtest.md",
               out / "test_roster.csv", out / "simulated_calls.csv.gz"]
    write_csv(written[0], bt.table)
    write_csv(written[1], bt.cells)
    write_csv(written[3], pd.DataFrame([r.model_dump() for r in bt.scenario.roster]))
    write_csv(written[4], pd.concat([run.tickets.assign(replication=run.replication) for run in bt.runs],
                                    ignore_index=True), compression="gzip")
    write_text(written[2],
               "# Staffing backtest\n\nThe test period replayed with its actual calls and its actual roster (agents on "
               "duty from the log); per hour, the share of calls abandoned, answered within 20 s and 60 s, the share "
               "that waited and the mean wait, against actual. Columns: the simulation (mean of replications), the "
               "Erlang A model on the same inputs, and the naive average of the same weekday and hour in the training "
               "weeks.\n\n```\n" + bt.summary() + "\n```\n")
    return written
