"""The HTML report: one self-contained page per result, question and answer first, checked in a real headless
browser (Debian's chromium) for console errors and a non-blank rendering."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import servsim
from helpers import ROOT, SCENARIOS
from servsim.cli import main
from servsim.experiment import Experiment, run_sweep
from servsim.experiment.optimize import optimize
from servsim.report.pages import write_report
from servsim.scenario import scenario_from_dict
from test_optimize import LEVERS, REQUIRE, desk

SAMPLE = ROOT / "calibration" / "sample"
PRESETS = ROOT / "calibration" / "presets"
BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


@pytest.fixture(scope="module")
def experiment() -> Experiment:
    return servsim.run_experiment([SCENARIOS / "baseline.yaml", SCENARIOS / "l2-evening.yaml"], replications=3,
                                  seed=3, executor="serial", progress=False)


def _self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert all(s.startswith("data:image/png;base64,") for s in sources), [s[:40] for s in sources]
    assert "<script" not in page and "<link" not in page


def test_compare_report_answers_first_and_explains(experiment, tmp_path):
    page = write_report(experiment, tmp_path / "report.html").read_text(encoding="utf-8")
    _self_contained(page)
    head = page[:page.index("<h2>")]  # before the first section: the question and the answer
    assert "What changes if we run l2-evening instead of baseline?" in head
    assert re.search(r'<li><b>l2-evening</b>: .*\[.*\], <span class="(better|worse)">', head)
    # the answer leads with the staff cost a week, then what moved materially
    assert re.search(r"<li><b>l2-evening</b>: staff cost \+[\d,]+ (\w+|¤) a week \[\+[\d,]+, \+[\d,]+\], "
                     r"\+[\d,]+ (\w+|¤) a month \(\+\d\.\d FTE of 40 h a week\); ", head)
    for section in ("KPIs", "SLA targets", "What explains the changes", "Differences at a glance", "Assumptions",
                    "Scenario differences"):
        assert f"<h2>{section}</h2>" in page, section
    assert "wait before l2" in page  # the evening L2 staff shorten the wait before L2
    assert "teams.l2.shifts.evening.headcount" in page  # the scenario diff names the changed field
    assert page.count("<img ") >= 4
    assert "seed: 3" in page and "replications: 3" in page


def test_every_kind_of_result_has_a_report(tmp_path):
    run = servsim.simulate(SCENARIOS / "baseline.yaml", seed=1)
    sweep = run_sweep(SCENARIOS / "baseline.yaml", [("teams.l2.shifts.evening.headcount", [1, 3])], 2,
                      executor="serial", progress=False)
    found = optimize(scenario_from_dict(desk()), LEVERS, REQUIRE, replications=3, seed=1, executor="serial")
    history = servsim.import_log(SAMPLE / "tickets.csv.gz", "tickets", PRESETS / "servsim-tickets.yaml")
    cal = servsim.calibrate(history)
    pages = {
        "run": (write_report(run, tmp_path / "run.html"), "One replication"),
        "sweep": (write_report(sweep, tmp_path / "sweep.html", kpis=["sla_attainment"],
                               targets={"sla_attainment": 0.9}), "How do the KPIs change with headcount (l2, evening)"),
        "optimize": (write_report(found, tmp_path / "optimize.html"), "Cheapest staffing that meets every requirement"),
        "calibration": (write_report(cal, tmp_path / "calibration.html", quality=history.quality),
                        "Worst duration fit"),
    }
    page = pages["sweep"][0].read_text(encoding="utf-8")
    assert "<h2>Step by step</h2>" in page and "evening.headcount=1 → evening.headcount=3" in page
    assert re.search(r"<li>SLA attainment: (no step makes a detectable difference|the biggest step is )", page)
    for kind, (path, expected) in pages.items():
        page = path.read_text(encoding="utf-8")
        _self_contained(page)
        assert expected in page, kind
        assert page.count("<img ") >= 1, kind
    with pytest.raises(TypeError, match="no report for a dict"):
        write_report({}, tmp_path / "x.html")


def test_compare_writes_the_report_and_report_rebuilds_it(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "vip-first.yaml"), "--replications",
                 "2", "--executor", "serial", "--quiet", "--out", str(out)]) == 0
    first = (out / "report.html").read_text(encoding="utf-8")
    assert main(["report", str(out), "--html", str(tmp_path / "again.html")]) == 0
    again = (tmp_path / "again.html").read_text(encoding="utf-8")
    stamp = re.compile(r"written: [^<]*")
    assert stamp.sub("", first) == stamp.sub("", again)  # the same page from the stored replications
    with pytest.raises(servsim.ServsimError, match="not an experiment folder"):
        Experiment.load(tmp_path)


def _render(page: Path, tmp_path: Path) -> tuple[list[str], np.ndarray]:
    """Console messages of ``page`` in headless Chromium, and its screenshot as an RGB array."""
    from matplotlib.image import imread

    shot = tmp_path / f"{page.stem}.png"
    done = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={shot}",
                           page.as_uri()], capture_output=True, text=True, timeout=120)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return console, imread(shot)[..., :3]


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine (Debian: apt-get install chromium); "
                                            ".ci/run installs it where it can")
@pytest.mark.long
def test_reports_load_in_a_headless_browser(experiment, tmp_path):
    broken = tmp_path / "broken.html"  # the check itself can fail: a page with a script error is caught
    broken.write_text("<html><body><script>throw new Error('boom')</script></body></html>")
    console, _ = _render(broken, tmp_path)
    assert any("boom" in line for line in console)

    run = servsim.simulate(SCENARIOS / "baseline.yaml", seed=2)
    for path in (write_report(experiment, tmp_path / "compare.html"), write_report(run, tmp_path / "run.html")):
        console, pixels = _render(path, tmp_path)
        assert console == [], console
        ink = (pixels.mean(axis=2) < 0.9).mean()  # share of pixels that are not (near) white
        assert ink > 0.01 and pixels.std() > 0.05, (path.name, ink)  # a blank page has none


def test_a_comparison_with_input_uncertainty_answers_with_both_intervals(tmp_path):
    """The page over re-calibrations answers with the intervals that include the history's uncertainty, says
    which share of it comes from the history, shows the change per re-calibration, and renders in a browser."""
    from servsim.experiment.uncertain import run_uncertain

    base = servsim.load_scenario(SCENARIOS / "baseline.yaml")
    draws = [base.with_changes({"demand.trend": trend}) for trend in (-0.02, 0.0, 0.02)]  # busier or quieter weeks
    found = run_uncertain([base, SCENARIOS / "l2-evening.yaml"], draws, replications=2, seed=1,
                          executor="serial", progress=False)
    path = write_report(found, tmp_path / "uncertain.html")
    page = path.read_text(encoding="utf-8")
    _self_contained(page)
    head = page[:page.index("<h2>")]
    assert re.search(r"<li><b>l2-evening</b>: .*\[.*\], (<span class=\"(better|worse)\">(better|worse)"
                     r"( at the point estimate only|, robustly)|no material change|no detectable difference)", head)
    assert re.search(r"uncertainty (comes from the history itself|is simulation noise)", head)
    assert "<h2>What the history cannot pin down</h2>" in page and "<h2>KPIs</h2>" in page
    assert "re-calibrations: 3 x 2 replications" in page
    if BROWSER is not None:
        console, pixels = _render(path, tmp_path)
        assert console == [] and (pixels.mean(axis=2) < 0.9).mean() > 0.01


def test_a_call_centre_run_shows_its_calls_by_hour_of_the_week(tmp_path):
    """Service level and abandonment per hour of the week as heat maps and a table; the hours nobody staffs on
    the sample's Saturday daytime read as what they are: nobody answered."""
    run = servsim.simulate(SCENARIOS / "callcentre.yaml", seed=1)
    page = write_report(run, tmp_path / "run.html").read_text(encoding="utf-8")
    section = page[page.index("<h2>Calls by hour of the week</h2>"):]
    assert 'alt="service level and abandonment by hour of the week"' in section
    assert re.search(r"<td>Sat</td><td>10:00</td><td>[\d.]+</td><td>0.0%</td>", section)
    assert "answered within 20 s" in section and "ASA" in section
