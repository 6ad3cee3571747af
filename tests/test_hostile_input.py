"""Hostile and careless input: every broken file gets one clear ScenarioError naming the file, the field and what
was expected — never a traceback, a hang or a silent acceptance. The corpus is generated here (some entries are
large or special files); each entry carries the message it must produce."""

from __future__ import annotations

import os
import re
import shutil
import signal
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servsim
from helpers import BASELINE
from servsim import ScenarioError
from servsim.cli import main
from servsim.errors import ScenarioWarning
from servsim.files import MAX_YAML_DEPTH, parse_yaml
from servsim.scenario import scenario_from_dict
from servsim.scenario.load_check import check_load

CHANGE = "extends: baseline.yaml\n"
DAILY = ", ".join(["1"] * 23)
# name -> (file content, the message it must produce)
CORPUS: dict[str, tuple[str | bytes, str]] = {
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh")),
        r"alias bomb\.yaml: expands to more than 200,000 values"),
    "nested brackets": ("a: " + "[" * 50_000 + "]" * 50_000 + "\n", rf"nested more than {MAX_YAML_DEPTH} levels"),
    "duplicate key": (CHANGE + "name: a\nclock: {horizon: 2w}\nname: b\n",
                      r"line 4: duplicate key 'name' \(first at line 2\)"),
    "binary": (b"\x00\x01\x02\xff" * 64, r"a binary file \(it contains NUL bytes\)"),
    "latin-1": ("name: caf\xe9\n".encode("latin-1"), r"line 1: byte 0xe9 is not UTF-8.*Latin-1"),
    "empty": ("", r"empty; a scenario file is a mapping of sections"),
    "a list": ("- a\n- b\n", r"must be a mapping of sections"),
    "bad YAML": ("a: [1, 2\nb: 3\n", r"not valid YAML: line \d+, column \d+"),
    "infinite rate": (CHANGE + "demand:\n  channels:\n    email: {rate: .inf}\n",
                      r"demand\.channels\.email\.rate: inf: expected a finite number"),
    "1e400h": (CHANGE + "clock: {horizon: 1e400h}\n", r"clock\.horizon: '1e400h' is not a finite duration"),
    "overflowing rate": (CHANGE + "demand:\n  channels:\n    email: {rate: 1e400/h}\n",
                         r"email\.rate: '1e400/h' is not a finite rate"),
    "NaN profile": (CHANGE + f"demand:\n  channels:\n    email:\n      profile: {{daily: [.nan, {DAILY}]}}\n",
                    r"profile\.daily\[0\]: nan: expected a finite number"),
    "infinite cv": (CHANGE + "ticket_types:\n  how_to:\n    steps:\n      l1_fix: {work: {kind: lognormal, mean: 9min, "
                             "cv: .inf}}\n", r"l1_fix\.work\.cv: inf: expected a finite number"),
    "NaN share": (CHANGE + "demand:\n  mix:\n    priorities: {P1: .nan, P2: 0.5, P3: 0.5, P4: 0}\n",
                  r"priorities\.P1: nan: expected a finite number"),
    "impossible holiday": (CHANGE + "clock: {holidays: [2026-13-01]}\n", r"clock\.holidays\[0\]: '2026-13-01'"),
    "time zone": (CHANGE + "clock: {start: 2026-01-05T08:00:00+02:00}\n",
                  r"clock\.start: .*a time with a time zone; expected a local date and time"),
    "no days": (CHANGE + "teams:\n  l1:\n    shifts:\n      day: {days: []}\n",
                r"teams\.l1\.shifts\.day\.days: .*no days"),
    "day twice": (CHANGE + "teams:\n  l1:\n    shifts:\n      day: {days: 'Mon-Fri,Wed'}\n",
                  r"\['Wed'\] named twice"),
    "break covers shift": (CHANGE + "teams:\n  l1:\n    shifts:\n      day: {breaks: [{start: '07:30', "
                                    "end: '15:30'}]}\n",
                           r"its breaks cover the whole shift"),
    "nested breaks": (CHANGE + "teams:\n  l1:\n    shifts:\n      day: {breaks: [{start: '09:00', end: '12:00'}, "
                               "{start: '10:00', end: '11:00'}]}\n", r"breaks 09:00-12:00 and 10:00-11:00 overlap"),
    "headcount 1e9": (CHANGE + "teams:\n  l1:\n    shifts:\n      day: {headcount: 1000000000}\n",
                      r"headcount: 1000000000: Input should be less than or equal to 100000"),
    "trap": (CHANGE + "ticket_types:\n  how_to:\n    steps:\n      wait_customer: {work: {kind: constant, value: 0}, "
                      "next: wait_customer}\n",
             r"ticket_types\.how_to\.steps\.wait_customer: a ticket can reach 'wait_customer' .* never get"),
    "extends outside": ("extends: /etc/hostname\n", r"extends: '/etc/hostname' is outside the scenario's folder"),
    "extends a device": ("extends: /dev/zero\n", r"extends: '/dev/zero' is outside the scenario's folder"),
    "extends not a name": ("extends: [1, 2]\n", r"extends: \[1, 2\] is not a file name"),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")
    return tmp_path


@pytest.fixture(autouse=True)
def no_hang():
    """A hang is a failure, not a stuck test run."""
    def stop(*_):
        raise TimeoutError("hung")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", CORPUS)
def test_broken_file_gets_its_message(folder: Path, name: str):
    content, message = CORPUS[name]
    path = folder / f"{name}.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ScenarioError, match=message) as caught:
        servsim.load_scenario(path)
    assert str(path) in str(caught.value)
    assert len(str(caught.value)) < 2_000  # the error never echoes an expanded value


def test_special_files_are_refused(folder: Path):
    (folder / "a folder.yaml").mkdir()
    os.mkfifo(folder / "pipe.yaml")  # reading it would block for ever
    (folder / "loop.yaml").symlink_to("loop.yaml")
    for name, message in (("a folder", "is a folder"), ("pipe", "is not a regular file"),
                          ("loop", "cannot read this scenario file"), ("missing", "scenario file not found")):
        with pytest.raises(ScenarioError, match=message):
            servsim.load_scenario(folder / f"{name}.yaml")


def test_long_extends_chains_stop(folder: Path):
    for i in range(200):
        (folder / f"c{i}.yaml").write_text(f"extends: c{i + 1}.yaml\n" if i < 199 else CHANGE)
    with pytest.raises(ScenarioError, match="a chain of more than 32 files"):
        servsim.load_scenario(folder / "c0.yaml")


def test_extends_may_reach_an_allowed_folder(tmp_path: Path, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "change.yaml").write_text(f"extends: {BASELINE}\nname: mine\n")
    with pytest.raises(ScenarioError, match="outside the scenario's folder"):
        servsim.load_scenario(tmp_path / "mine" / "change.yaml")
    assert servsim.load_scenario(tmp_path / "mine" / "change.yaml", extends_roots=(BASELINE.parent,)).name == "mine"
    monkeypatch.setenv("SERVSIM_EXTENDS_PATH", str(BASELINE.parent))
    assert servsim.load_scenario(tmp_path / "mine" / "change.yaml").name == "mine"


def test_times_of_day_stay_times(folder: Path):
    """YAML 1.1 reads an unquoted 17:00 as 1020 (base 60); servsim reads it as the time it looks like."""
    path = folder / "change.yaml"
    path.write_text(CHANGE + "teams:\n  l1:\n    shifts:\n      day: {end: 17:00}\n")
    assert servsim.load_scenario(path).teams["l1"].shifts["day"].end == "17:00"


def test_overload_is_warned_and_a_giant_run_refused(folder: Path, capsys):
    path = folder / "overload.yaml"
    path.write_text(CHANGE + "demand:\n  channels:\n    email: {rate: 2000/week}\n    phone: {rate: 4000/week}\n")
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"team l1: offered work needs [\d.]+ people on duty on average, it has 3\.6 \(utilisation "
                     r"\d+%\): its queue grows without bound", err)
    assert "team" not in check_load(servsim.load_scenario(BASELINE)).warnings()  # the baseline keeps up
    giant = folder / "giant.yaml"
    giant.write_text(CHANGE + "demand:\n  channels:\n    email: {rate: 1e6/h}\n")
    assert main(["run", str(giant)]) == 2
    assert "more than the 20,000,000 a run takes without --force" in capsys.readouterr().err
    with pytest.raises(servsim.ServsimError, match="more than the 20,000,000"):
        servsim.run_experiment([giant], replications=1, executor="serial", progress=False)


@pytest.mark.parametrize("demand", ["demand:\n  trend: 5\n", "demand:\n  trend: 1e40\n",
                                    "demand:\n  calendar: [{start: 2026-01-12, end: 2026-01-13, factor: 1e6}]\n"])
def test_a_run_grown_by_the_trend_or_the_calendar_is_refused_before_it_allocates(folder: Path, capsys, demand):
    """The run-size estimate takes in every demand modifier: a steep trend (one that overflows, too) or a huge
    calendar factor is refused with the estimate, not an allocation of many GiB."""
    path = folder / "grown.yaml"
    path.write_text(CHANGE + demand)
    assert check_load(servsim.load_scenario(path)).size_error()
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "a run takes without --force" in err and "demand.trend, demand.calendar" in err


P2 = BASELINE.parent / "p2-timer-escalation.yaml"
BOUNCE = {"share_of": "- {name: up, waiting_at: [intake], share_of: first_response, share: 0.8, to: lead}\n"
                      "    - {name: down, waiting_at: [lead], share_of: first_response, share: 0.5, to: intake}\n",
          "seconds": "- {name: up, waiting_at: [intake], after: 1s, to: lead}\n"
                     "    - {name: down, waiting_at: [lead], after: 2min, priorities: [P3], to: intake}\n"}


@pytest.mark.parametrize("rules", BOUNCE)
def test_timers_that_bounce_a_ticket_for_ever_are_refused(folder: Path, rules):
    """Two timers that send a ticket back and forth at once (a share of an SLA target, passed) or within seconds
    would keep it going round instead of being worked: refused by name, with the priority that loops."""
    shutil.copy(P2, folder)
    path = folder / "bounce.yaml"
    path.write_text(f"extends: {P2.name}\npolicies:\n  timers:\n    {BOUNCE[rules]}")
    with pytest.raises(ScenarioError, match=r"the rules down, up send a ticket \(priority 'P\d'\) round a cycle"):
        servsim.load_scenario(path)


def test_a_ticket_moved_round_and_round_stops_the_run(folder: Path, monkeypatch):
    """The engine's own guard against a livelock the checks let through: a ticket moved more than MAX_MOVES
    times stops the run with an error naming the last rule, not a run that never ends."""
    import servsim.engine.core as core

    monkeypatch.setattr(core, "MAX_MOVES", 2)
    shutil.copy(P2, folder)
    path = folder / "slow_bounce.yaml"
    path.write_text(f"extends: {P2.name}\nclock: {{horizon: 2w, warmup: 1w}}\npolicies:\n  timers:\n"
                    "    - {name: up, waiting_at: [intake], after: 1min, to: lead}\n"
                    "    - {name: down, waiting_at: [lead], after: 5min, to: intake}\n")
    with pytest.raises(servsim.ServsimError, match="moved 2 times by the rules .* round a cycle"):
        servsim.simulate(path, seed=1)


SAMPLE_CALLS = BASELINE.parents[1] / "calibration" / "sample" / "calls.txt.gz"


@pytest.mark.parametrize(("argv", "said"), [
    (["backtest", str(SAMPLE_CALLS), "--format", "callcentre", "--train-until", "2026-01-11", "--history-weeks", "0"],
     "argument --history-weeks: '0': expected a whole number of at least 1"),
    (["backtest", str(SAMPLE_CALLS), "--format", "callcentre", "--train-until", "2026-01-11", "--history-weeks",
      "-2"], "argument --history-weeks: '-2': expected a whole number of at least 1"),
    (["backtest", str(SAMPLE_CALLS), "--format", "callcentre", "--train-until", "2026-01-11", "--test-weeks", "0"],
     "argument --test-weeks"),
    (["compare", str(BASELINE), "--precision", "-1"], "argument --precision: '-1': expected a number in (0, 1)"),
    (["optimize", str(BASELINE), "--confidence", "2", "--vary", "teams.l1.shifts.day.headcount=3..4",
      "--require", "sla_attainment>=0.5"], "argument --confidence: '2': expected a number in [0.5, 1)"),
    (["calibrate", str(SAMPLE_CALLS), "--format", "callcentre", "--out", "x", "--utilisation", "7"],
     "argument --utilisation: '7': expected a number in (0, 1]"),
])
def test_numeric_options_are_range_checked_by_name(argv, said, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    assert said in capsys.readouterr().err


def test_call_backtests_refuse_several_cut_offs_and_an_empty_test_period(tmp_path: Path, capsys):
    """Several cut-offs on a call log, and a test period whose calls are all PHANTOM (none asked for an agent), are
    refused by name instead of a traceback or a 'nan% worse' verdict."""
    argv = ["backtest", str(SAMPLE_CALLS), "--format", "callcentre", "--replications", "2"]
    assert main([*argv, "--train-until", "2026-01-11,2026-01-18"]) == 2
    said = capsys.readouterr().err
    assert "--train-until '2026-01-11,2026-01-18': a call log's staffing backtest takes one cut-off date" in said
    import gzip

    lines = gzip.decompress(SAMPLE_CALLS.read_bytes()).decode().splitlines()
    header = lines[0].split("\t")
    day, outcome = header.index("date"), header.index("outcome")
    rows = [line.split("\t") for line in lines[1:]]
    for row in rows:
        if row[day].strip() >= "260118":  # from 18 January: phantoms only
            row[outcome] = "PHANTOM"
    phantoms = tmp_path / "phantoms.txt"
    phantoms.write_text("\n".join(["\t".join(header), *("\t".join(r) for r in rows)]) + "\n")
    assert main(["backtest", str(phantoms), "--format", "callcentre", "--train-until", "2026-01-18",
                 "--test-until", "2026-01-25", "--replications", "2"]) == 2
    assert "no call asked for an agent between 2026-01-18 and 2026-01-25" in capsys.readouterr().err


SECRET = "root:x:0:0:root:/root:/bin/bash"


@pytest.mark.parametrize("fmt", ["servicenow", "tickets", "events", "callcentre"])
@pytest.mark.parametrize(("first", "secret"), [(SECRET, "root:x"), ("my secret passphrase is hunter2", "hunter2")])
def test_a_file_given_by_mistake_is_described_not_quoted(tmp_path: Path, fmt, first, secret, capsys):
    """A system file (or a key, or a note) given instead of an export: the error says what is wrong and never
    quotes its first line (a line of one column is text, not a header)."""
    path = tmp_path / "passwd"
    path.write_text(f"{first}\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    argv = ["calibrate", str(path), "--format", fmt, "--out", str(tmp_path / "out")]
    assert main(argv + (["--mapping", str(MAPPINGS[fmt])] if fmt in MAPPINGS else [])) == 2
    err = capsys.readouterr().err
    assert secret not in err and "/bin/bash" not in err and path.name in err


def test_a_call_log_whose_every_service_lasts_0_s_is_refused_by_name(tmp_path: Path):
    """Every answered call with a service of 0 s (its end stamp its start): no work to calibrate on, said as such
    (it used to end in a hundred 'nan' validation lines)."""
    import gzip

    lines = gzip.decompress(SAMPLE_CALLS.read_bytes()).decode().splitlines()
    rows = [line.split("\t") for line in lines[1:]]
    for row in rows:
        if row[12] == "AGENT":
            row[14], row[15] = row[13], "0"
    path = tmp_path / "instant.txt"
    path.write_text("\n".join([lines[0], *("\t".join(r) for r in rows)]) + "\n")
    with pytest.raises(servsim.ServsimError, match=r"instant\.txt: every one of the [\d,]+ answered calls lasts 0 s"):
        servsim.calibrate(servsim.import_log(path, "callcentre"))


def test_exports_are_read_within_bounds(tmp_path: Path, monkeypatch, capsys):
    """A call log that decompresses past the size cap is refused naming the cap; a call row carrying a field of
    megabytes (an agent's name) is dropped and counted, not allocated a thousand times over; a CSV field longer than
    a spreadsheet cell is refused naming its row and column."""
    import gzip

    import servsim.files as files

    lines = gzip.decompress(SAMPLE_CALLS.read_bytes()).decode().splitlines()
    lines[5] = lines[5].rsplit("\t", 1)[0] + "\t" + "A" * (4 << 20)
    named = tmp_path / "named.txt"
    named.write_text("\n".join(lines) + "\n")
    imported = servsim.import_log(named, "callcentre")
    assert imported.quality.dropped["row longer than 1,000 characters (a call row has about 100)"] == 1
    monkeypatch.setattr(files, "MAX_DATA_BYTES", 1 << 20)
    with pytest.raises(servsim.ServsimError, match=r"calls\.txt\.gz: larger than 1 MiB once decompressed"):
        servsim.import_log(SAMPLE_CALLS, "callcentre")
    # event logs and ticket tables too, before they are parsed (a zip by its members' sizes)
    events = SAMPLE_CALLS.parent / "events.csv.gz"
    with pytest.raises(servsim.ServsimError, match=r"events\.csv\.gz: larger than 1 MiB once decompressed"):
        servsim.import_log(events, "events", MAPPINGS["events"])
    import zipfile

    with zipfile.ZipFile(tmp_path / "tickets.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        table = gzip.decompress((SAMPLE_CALLS.parent / "tickets.csv.gz").read_bytes())
        archive.writestr("tickets.csv", table + table.split(b"\n", 1)[1])  # its rows twice: 2 MB
    with pytest.raises(servsim.ServsimError, match=r"tickets\.zip: larger than 1 MiB once decompressed"):
        servsim.import_log(tmp_path / "tickets.zip", "tickets", MAPPINGS["tickets"])
    table = tmp_path / "tickets.csv"
    table.write_text("ticket_id,created_at,channel\nT1,2026-01-05 09:00," + "x" * 40_000 + "\n")
    with pytest.raises(servsim.ServsimError, match=r"row 2, column channel: a field of 40,000 characters"):
        files.read_table(table, "ticket table")


def test_a_full_disk_leaves_no_half_file_and_names_the_path(tmp_path: Path, monkeypatch, capsys):
    """Every output goes through a temporary file renamed into place: when the disk fills up half-way through the
    report, the page from before stays whole, no temporary file is left, and the error names the path."""
    out = tmp_path / "run"
    assert main(["run", str(BASELINE), "--out", str(out)]) == 0
    before = (out / "report.html").read_text(encoding="utf-8")
    real = Path.write_text

    def half_then_full(self, text, *args, **kwargs):
        if self.suffix == ".html":
            real(self, text[: len(text) // 2], *args, **kwargs)
            raise OSError(28, "No space left on device")
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", half_then_full)
    capsys.readouterr()
    assert main(["run", str(BASELINE), "--out", str(out), "--seed", "3"]) == 2
    assert f"{out / 'report.html'}: cannot write it: No space left on device" in capsys.readouterr().err
    assert (out / "report.html").read_text(encoding="utf-8") == before
    assert not [p.name for p in out.iterdir() if ".part" in p.name]


def test_a_roster_file_past_its_cap_is_refused_by_name(folder: Path, monkeypatch):
    import servsim.scenario.roster as roster

    monkeypatch.setattr(roster, "MAX_ROSTER_BYTES", 1 << 10)
    rows = "".join(f"l1,2026-01-{5 + k % 20:02d} 08:00,2026-01-{5 + k % 20:02d} 16:00,3\n" for k in range(40))
    (folder / "roster.csv").write_text("team,start,end,headcount\n" + rows, encoding="utf-8")
    (folder / "change.yaml").write_text(CHANGE + "roster: roster.csv\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"change\.yaml: roster: .*roster\.csv: larger than 0 MiB"):
        servsim.load_scenario(folder / "change.yaml")


def test_cli_stops_quietly_on_a_closed_pipe(monkeypatch):
    class Closed:
        def write(self, _):
            raise BrokenPipeError

        def flush(self):
            raise BrokenPipeError

        def fileno(self):
            return os.open(os.devnull, os.O_WRONLY)

    monkeypatch.setattr("sys.stdout", Closed())
    assert main(["schema"]) == 141


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_gives_a_scenario_error_or_a_scenario(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        servsim.load_scenario(path)
    except ScenarioError:
        pass


def fields(typical: list[str], separators: str, max_size: int) -> st.SearchStrategy[str]:
    """A file's field: one of its ``typical`` values, or any text without the file's ``separators``."""
    return st.one_of(st.sampled_from(typical), st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=separators), max_size=max_size))


FUZZ_FILES = settings(max_examples=120, deadline=None, derandomize=True,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])
CALL_FIELDS = fields(["0", "2", "PS", "AGENT", "HANG", "PHANTOM", "NO_SERVER", "991001", "0:00:00", "23:59:59",
                      "10:00:00", "10:00:10", "-5", "DORIT"], "\t\n\r", 12)
ROSTER_FIELDS = fields(["l1", "l2", "2026-01-05 08:00", "2026-01-05 16:00", "2026-13-01 08:00", "3", "-1", "2.5", "",
                        "2026-01-05T08:00+02:00", "nan", "1e9"], ",\n\r\"", 10)


@FUZZ_FILES
@given(st.lists(st.lists(CALL_FIELDS, min_size=15, max_size=19), max_size=12))
def test_any_call_rows_give_a_call_log_or_a_clear_error(tmp_path_factory, rows):
    """Call rows of any fields under the real header: imported, or a ServsimError naming the file; never another
    exception."""
    from servsim.calibration.importers.callcentre import HEADER

    path = tmp_path_factory.mktemp("calls") / "calls.txt"
    path.write_text("\n".join(["\t".join(HEADER), *("\t".join(row) for row in rows)]) + "\n", encoding="utf-8")
    try:
        servsim.import_log(path, "callcentre")
    except servsim.ServsimError as exc:
        assert str(path) in str(exc)


@FUZZ_FILES
@given(st.lists(st.lists(ROSTER_FIELDS, min_size=3, max_size=5), max_size=8))
def test_any_roster_rows_give_a_scenario_or_a_scenario_error(tmp_path_factory, rows):
    """A roster file of any rows under the expected header: a valid scenario, or a ScenarioError naming the file."""
    folder = tmp_path_factory.mktemp("roster")
    shutil.copy(BASELINE, folder / "baseline.yaml")
    (folder / "roster.csv").write_text("\n".join(["team,start,end,headcount", *(",".join(r) for r in rows)]) + "\n",
                                       encoding="utf-8")
    (folder / "change.yaml").write_text(CHANGE + "roster: roster.csv\n", encoding="utf-8")
    try:
        with warnings.catch_warnings():  # an empty roster is said, and the weekly shifts apply
            warnings.simplefilter("ignore", ScenarioWarning)
            servsim.load_scenario(folder / "change.yaml")
    except ScenarioError as exc:
        assert "roster" in str(exc) or "change.yaml" in str(exc)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(YAML_VALUES)
def test_any_mapping_gives_a_scenario_error(value):
    import yaml

    text = yaml.safe_dump(value)
    try:
        parsed = parse_yaml(text, "fuzz", ScenarioError)
        scenario_from_dict(parsed, source="fuzz")
    except ScenarioError:
        pass


def _leaves(data, path=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, (*path, i))
    yield path


BASE_DATA = servsim.load_scenario(BASELINE).model_dump(mode="json", by_alias=True)
BASE_LEAVES = list(_leaves(BASE_DATA))


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(st.sampled_from(BASE_LEAVES), YAML_VALUES)
def test_any_value_anywhere_in_the_baseline_gives_a_scenario_error_or_a_valid_scenario(path, value):
    """The baseline with one value (or section) replaced by anything: validation either accepts it or says
    why; a run of what it accepts would not be refused for a reason validation should have caught."""
    import copy

    data = copy.deepcopy(BASE_DATA)
    target = data
    for part in path[:-1]:
        target = target[part]
    if path:
        target[path[-1]] = value
    else:
        data = value
    try:
        scenario = scenario_from_dict(data, source="fuzz")
    except ScenarioError:
        return
    check_load(scenario)  # what validation accepts can be sized


PRESETS = BASELINE.parents[1] / "calibration" / "presets"
MAPPINGS = {"tickets": PRESETS / "servsim-tickets.yaml", "events": PRESETS / "servsim-events.yaml"}
HEADERS = {"tickets": "ticket_id,created_at,channel,category,priority,first_response_at,resolved_at\n",
           "events": "ticket_id,activity,pool,resource,enqueued_at,started_at,ended_at,channel,category,priority\n",
           "servicenow": "number,incident_state,sys_updated_at\n"}
WHAT = {"tickets": "ticket table", "events": "event log", "servicenow": "ServiceNow incident export"}


@pytest.mark.parametrize("fmt", ["servicenow", "tickets", "events"])
def test_importers_name_the_file_and_what_is_wrong(tmp_path: Path, fmt: str):
    from servsim.calibration.importers.load import import_log

    what = WHAT[fmt]
    cases = {
        "empty.csv": (b"", f"empty file; expected a CSV {what} with a header row"),
        "header.csv": (HEADERS[fmt].encode(), "but no rows"),
        "latin1.csv": (HEADERS[fmt].encode() + "1,caf\xe9,x\n".encode("latin-1"), "byte 0xe9 is not utf-8 text"),
        "broken.zip": (b"PK\x03\x04 not really a zip", "not a readable archive"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(servsim.ServsimError, match=re.escape(message)) as caught:
            import_log(tmp_path / name, fmt, MAPPINGS.get(fmt))
        assert name in str(caught.value)
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(servsim.ServsimError, match=f"is a folder; expected a {what}"):
        import_log(tmp_path / "folder.csv", fmt, MAPPINGS.get(fmt))


def test_a_case_id_reused_for_many_tickets_is_split_and_counted(tmp_path: Path):
    import pandas as pd

    from servsim.calibration.importers.load import import_log

    sample = BASELINE.parents[1] / "calibration" / "sample" / "events.csv.gz"
    events = pd.read_csv(sample, dtype=str)
    before = import_log(sample, "events", MAPPINGS["events"])
    reused = events["ticket_id"].drop_duplicates().iloc[100:300]
    events.loc[events["ticket_id"].isin(reused), "ticket_id"] = "T-42"  # 200 tickets under one id
    events.to_csv(tmp_path / "reused.csv", index=False)
    after = import_log(tmp_path / "reused.csv", "events", MAPPINGS["events"])
    assert len(after.tickets) == len(before.tickets)
    assert after.tickets["n_reopens"].max() == before.tickets["n_reopens"].max()  # not one ticket with 199 reopens
    split = {reason: n for reason, n in after.quality.repaired.items() if "case id reused" in reason}
    assert list(split.values()) == [199] and "'intake'" in next(iter(split))
    # ids reused by many cases (3% of them reuse an earlier ticket's id; an export whose numbering restarted
    # halfway reuses every one): each repeat follows the first ticket's end, so each is a ticket of its own
    ids = pd.read_csv(sample, dtype=str)["ticket_id"].drop_duplicates()
    for renamed in (ids.iloc[300:600], ids.iloc[len(ids) // 2:]):
        again = pd.read_csv(sample, dtype=str)
        again["ticket_id"] = again["ticket_id"].map(dict(zip(renamed, ids.iloc[:len(renamed)]))).fillna(
            again["ticket_id"])
        again.to_csv(tmp_path / "many.csv", index=False)
        many = import_log(tmp_path / "many.csv", "events", MAPPINGS["events"])
        assert len(many.tickets) == len(before.tickets)
        split = {reason: n for reason, n in many.quality.repaired.items() if "case id reused" in reason}
        # (the sample's rows without a time are dropped: a ticket whose 'intake' is one of them starts no split)
        assert 0.99 * len(renamed) <= sum(split.values()) <= len(renamed)


NUMBERS = st.one_of(st.integers(-5, 10**6), st.floats(-1e9, 1e9, allow_nan=False),
                    st.sampled_from(["0", "0min", "1e-9min", "1000w", "3/h", "1e5/h", ""]))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.sampled_from([p for p in BASE_LEAVES if p and p[0] != "clock"]), NUMBERS)
def test_what_validation_accepts_runs(path, value):
    """A number anywhere in the baseline replaced by an odd one: refused with a ScenarioError, or it runs (a
    week) to KPIs."""
    import copy
    import warnings

    data = copy.deepcopy(BASE_DATA)
    data["clock"].update(horizon=10080.0, warmup=1440.0)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            scenario = scenario_from_dict(data, source="fuzz")
        except ScenarioError:
            return
    try:
        servsim.simulate(scenario, seed=1).kpis()
    except servsim.ServsimError:
        pass


def test_every_problem_at_once_and_removing_a_team_is_a_fair_question(folder: Path, capsys):
    path = folder / "two.yaml"
    path.write_text(CHANGE + "teams:\n  l1:\n    shifts:\n      day: {headcount: .nan, heads: 3}\n")
    with pytest.raises(ScenarioError, match=r"2 problem\(s\)") as caught:
        servsim.load_scenario(path)
    assert "headcount: nan: expected a finite number" in str(caught.value)
    assert "heads: unknown key" in str(caught.value)
    no_l3 = folder / "no-l3.yaml"
    no_l3.write_text(CHANGE + "name: no-l3\nteams:\n  l3:\n    shifts:\n      day: {headcount: 0}\n")
    with pytest.warns(servsim.errors.ScenarioWarning, match="team l3: nobody is ever on duty, but stage.s. l3 need"):
        scenario = servsim.load_scenario(no_l3)
    assert servsim.simulate(scenario, seed=1).kpis().overall["backlog_at_horizon"] > 0  # L3's tickets wait
    no_l1 = folder / "no-l1.yaml"
    no_l1.write_text(CHANGE + "teams:\n  l1:\n    shifts: {day: {headcount: 0}, late: {headcount: 0}, evening: "
                             "{headcount: 0}, weekend: {headcount: 0}}\n")
    with pytest.raises(ScenarioError, match="nobody is ever on shift, but every 'how_to' ticket starts at stage"):
        servsim.load_scenario(no_l1)


def test_an_unknown_kpi_is_an_error_with_a_suggestion(capsys):
    code = main(["sweep", str(BASELINE), "--set", "teams.l2.shifts.evening.headcount=1..2", "--replications", "1",
                 "--kpi", "sla_atainment", "--executor", "serial", "--quiet"])
    assert code == 2
    assert "--kpi: unknown KPI 'sla_atainment' (did you mean 'sla_attainment'?)" in capsys.readouterr().err


def test_time_zone_offsets_in_a_ticket_table_keep_the_wall_clock_and_are_counted(tmp_path: Path):
    from servsim.calibration.importers.load import import_log

    path = tmp_path / "tz.csv"
    header = ("ticket_id,created_at,channel,category,priority,tier,region,first_response_at,resolved_at,closed_at,"
              "abandoned_at,n_escalations,n_reopens,final_stage\n")
    rows = [f"{i},{created},web,software,P3,standard,north,,,,,0,0,intake\n" for i, created in enumerate(
        ["2026-01-05 08:00:00+01:00", "2026-01-05 09:00:00-0500", "2026-01-05 10:00:00Z", "2026-01-05 11:00:00"])]
    path.write_text(header + "".join(rows))
    imported = import_log(path, "tickets", MAPPINGS["tickets"])
    assert [t.hour for t in imported.tickets["created_at"]] == [8, 9, 10, 11]  # as written, none dropped
    assert imported.quality.repaired == {
        "time-zone offset in 'created_at' dropped (the wall-clock time as written is kept)": 3}


def test_rosters_mappings_and_call_logs_go_through_the_same_reader(folder: Path):
    from servsim.calibration.importers.callcentre import import_callcentre
    from servsim.calibration.importers.tickets import load_ticket_mapping

    (folder / "rota.csv").mkdir()
    path = folder / "rostered.yaml"
    path.write_text(CHANGE + "roster: rota.csv\n")
    with pytest.raises(ScenarioError, match=r"rota\.csv: is a folder; expected a roster file"):
        servsim.load_scenario(path)
    mapping = folder / "mapping.yaml"
    mapping.write_text("columns: {ticket_id: id}\ncolumns: {ticket_id: key}\n")
    with pytest.raises(servsim.ServsimError, match=r"mapping\.yaml: line 2: duplicate key 'columns'"):
        load_ticket_mapping(mapping)
    os.mkfifo(folder / "calls.txt")  # reading it would block for ever
    with pytest.raises(servsim.ServsimError, match=r"calls\.txt: is not a regular file .*expected a call log"):
        import_callcentre(folder / "calls.txt")


def test_force_reaches_every_replication(monkeypatch):
    # the experiment checks the size once; with force its replications run instead of refusing one by one
    import servsim.scenario.load_check as load_check

    monkeypatch.setattr(load_check, "MAX_TICKETS", 1_000)  # the baseline is then "too big"
    with pytest.raises(servsim.ServsimError, match="more than the 1,000 a run takes without --force"):
        servsim.run_experiment([BASELINE], replications=1, executor="serial", progress=False)
    forced = servsim.run_experiment([BASELINE], replications=1, executor="serial", progress=False, force=True)
    assert forced.summary().set_index("kpi").loc["tickets", "mean"] > 1_000


@pytest.mark.parametrize("rows, expected", [
    ("l1,2026-01-05T08:00+01:00,2026-01-05 16:00,4", r"start has a time-zone offset; a roster is in the scenario's "
                                                      r"local wall-clock time .* \(row 1: '2026-01-05T08:00\+01:00'\)"),
    ("l1,2026-01-05 08:00,2026-01-05 16:00,4,5", r"row\(s\) \[1\] have more fields than the header \(team, start, "
                                                  r"end, headcount\)"),
    ("l1,2026-01-05 08:00,,4", r"end is not a date and time \(YYYY-MM-DD HH:MM\) in 1 row\(s\) \(row 1: \(empty\)\)"),
    ("l1,2026-01-05 08:00,2026-01-05 16:00,True", r"headcount is not a whole number >= 0 .*\(row 1: 'True'\)"),
])
def test_a_roster_row_that_is_no_interval_is_named(folder: Path, rows: str, expected: str):
    (folder / "rota.csv").write_text("team,start,end,headcount\n" + rows + "\n")
    path = folder / "rostered.yaml"
    path.write_text(CHANGE + "roster: rota.csv\n")
    with pytest.raises(ScenarioError, match=r"rota\.csv: " + expected):
        servsim.load_scenario(path)


def test_a_roster_with_a_repeated_column_no_rows_or_rows_outside_the_period_is_flagged(folder: Path):
    path = folder / "rostered.yaml"
    path.write_text(CHANGE + "roster: rota.csv\n")
    (folder / "rota.csv").write_text("team,start,end,headcount,team\nl1,2026-01-05 08:00,2026-01-05 16:00,4,l2\n")
    with pytest.raises(ScenarioError, match=r"rota\.csv: column\(s\) \['team'\] appear more than once"):
        servsim.load_scenario(path)
    (folder / "rota.csv").write_text("team,start,end,headcount\n")
    with pytest.warns(servsim.errors.ScenarioWarning, match=r"rota\.csv: no rows; the teams' weekly shifts apply"):
        servsim.load_scenario(path)
    (folder / "rota.csv").write_text("team,start,end,headcount\nl1,2020-01-06 08:00,2020-01-06 16:00,4\n")
    outside = r"roster: 1 of its 1 rows \(the first: roster\[0\]\) lie wholly outside the simulated period"
    with pytest.warns(servsim.errors.ScenarioWarning, match=outside):
        servsim.load_scenario(path)


def test_a_roster_kept_for_years_is_read_for_the_simulated_period_only(folder: Path):
    """A roster file of 20,000 rows, all but a few outside the simulated period: the rows that change nothing are
    left out on loading (said, counted), so that a week's run neither validates nor writes them; l1's last row before
    the period stays (its roster reaches into the period: until its first row there, nobody of l1 is on duty), and
    l2's rows, all before the period, go (its weekly shifts apply)."""
    import datetime as dt

    rows = ["team,start,end,headcount"]
    for back in range(10_000, 0, -1):  # a day shift each day up to the period's eve
        day = dt.date(2026, 1, 5) - dt.timedelta(days=back)
        rows += [f"l1,{day} 08:00,{day} 16:00,3", f"l2,{day} 08:00,{day} 16:00,2"]
    rows.append("l1,2026-01-05 12:00,2026-01-05 16:00,5")
    (folder / "rota.csv").write_text("\n".join(rows) + "\n")
    path = folder / "rostered.yaml"
    path.write_text(CHANGE + "roster: rota.csv\n")
    with pytest.warns(servsim.errors.ScenarioWarning, match=r"roster: 19,999 of its 20,001 rows .* left out"):
        loaded = servsim.load_scenario(path)
    assert [(r.team, r.headcount) for r in loaded.roster] == [("l1", 3), ("l1", 5)]


@pytest.mark.parametrize("argv, expected", [
    (["run", "{BASELINE}", "--seed", "-1"], "argument --seed: '-1': expected a whole number of at least 0"),
    (["compare", "{BASELINE}", "--replications", "auto", "--max-replications", "1"],
     "argument --max-replications: '1': expected a whole number of at least 2"),
    (["compare", "{BASELINE}", "--dask", "garbage"],
     "argument --dask: 'garbage' is not 'local' or a scheduler address"),
    (["sweep", "{BASELINE}", "--set", "teams.l2.shifts.evening.headcount=1..2",
      "--set", "teams.l2.shifts.evening.headcount=3..4"], "--set: teams.l2.shifts.evening.headcount is set twice"),
    (["sweep", "{BASELINE}", "--set", "teams.l2.shifts.evening.headcount=1..1000000"],
     "--set: 1,000,000 points to simulate (at most 1,000)"),
    (["optimize", "{BASELINE}", "--vary", "teams.l2.shifts.evening.headcount=0..3", "--vary",
      "teams.l2.shifts.evening.headcount=1..2", "--require", "sla_attainment>=0.5"],
     "--vary: teams.l2.shifts.evening.headcount given more than once"),
    (["optimize", "{BASELINE}", "--vary", "teams.l2.shifts.evening.headcount=0..3", "--require", "sla_attainment>=90"],
     "--require 'sla_attainment>=90': sla_attainment is a share from 0 to 1 (0.9 for 90%)"),
    (["backtest", "calls.txt.gz", "--format", "callcentre", "--train-until", "2026-13-45"],
     "argument --train-until: '2026-13-45' is not a date (YYYY-MM-DD)"),
])
def test_a_careless_argument_is_named_before_anything_runs(capsys, argv, expected):
    """Arguments that used to end in a traceback, run for ever or be taken silently: each is named at once."""
    argv = [a.replace("{BASELINE}", str(BASELINE)) for a in argv]
    try:
        code = main(argv + ["--quiet"] if argv[0] in ("compare", "sweep", "optimize") else argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == 2
    assert expected in capsys.readouterr().err


def test_run_does_not_overwrite_its_own_scenario_file_and_one_replication_claims_no_verdict(tmp_path, capsys):
    folder = tmp_path / "desk"
    folder.mkdir()
    shutil.copy(BASELINE, folder / "scenario.yaml")
    before = (folder / "scenario.yaml").read_text()
    assert main(["run", str(folder / "scenario.yaml"), "--out", str(folder)]) == 2
    assert "its scenario.yaml would overwrite the scenario file" in capsys.readouterr().err
    assert (folder / "scenario.yaml").read_text() == before
    from servsim.experiment.explain import NO_INTERVAL, verdict

    assert verdict("sla_attainment", 0.02, False, interval=False) == NO_INTERVAL  # one replication: no CI to judge
    assert verdict("sla_attainment", 0.02, True) == "better"
