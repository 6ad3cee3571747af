"""Every code example of the README and the documentation pages runs as written.

A ``python`` block is executed; a ``sh`` block's ``servsim`` commands run one after the other in a fresh folder that
holds the project's ``scenarios/`` and ``calibration/`` samples (so that a command may read what the one before
wrote), each expected to succeed. The public logs the examples name (the ServiceNow audit log, the helpdesk event
log, the October 1999 call log) are read from ``../shared/data``; a block that needs one is skipped, saying so,
where that folder is absent. A benchmark's command must name a script of ``benchmarks/`` and options it defines
(running the benchmarks is measuring, not testing); ``pip install`` must name extras the project declares; the
test command is CI's own.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

SHARED = ROOT.parent / "shared" / "data"
PUBLIC_LOGS = {"incident_event_log.zip": SHARED / "servicenow_uci" / "incident_event_log.zip",
               "helpdesk.csv.gz": SHARED / "helpdesk" / "helpdesk.csv.gz",
               "anonbank_october_1999.txt.gz": SHARED / "callcentre" / "anonbank_october_1999.txt.gz"}
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(language: str) -> list[tuple[str, str]]:
    """``(page, code)`` of every fenced block of ``language`` in the README and the docs."""
    return [(page.relative_to(ROOT).as_posix(), code) for page in PAGES
            for lang, code in re.findall(r"^```(\w*)\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)
            if lang == language]


def commands(code: str) -> list[list[str]]:
    """The commands of a shell block: continuation lines joined, comments dropped, ``a && b`` split."""
    out = []
    for line in code.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            out.append(words[:cut])
            words = words[cut + 1:]
    return out


def workspace(folder: Path) -> Path:
    """A folder as a user's clone looks to the examples: the scenarios and the calibration samples and presets."""
    (folder / "scenarios").symlink_to(ROOT / "scenarios")
    (folder / "calibration").mkdir()
    for part in ("presets", "sample"):
        (folder / "calibration" / part).symlink_to(ROOT / "calibration" / part)
    return folder


@pytest.mark.parametrize(("page", "code"), blocks("python"), ids=lambda v: v if v.endswith(".md") else "")
def test_every_python_example_runs(page, code, tmp_path, monkeypatch):
    monkeypatch.chdir(workspace(tmp_path))
    namespace: dict = {}
    exec(compile(code, page, "exec"), namespace)  # noqa: S102 - the documentation's own example


@pytest.mark.long
@pytest.mark.parametrize(("page", "code"), [b for b in blocks("sh") if "servsim " in b[1]],
                         ids=lambda v: v if v.endswith(".md") else "")
def test_every_command_example_runs(page, code, tmp_path):
    needed = [name for name in PUBLIC_LOGS if name in code]
    missing = [name for name in needed if not PUBLIC_LOGS[name].exists()]
    if missing:
        pytest.skip(f"{page}: the example reads {', '.join(missing)}, a public log kept in ../shared/data, "
                    "which is absent here")
    folder = workspace(tmp_path)
    for words in commands(code):
        if words[0] != "servsim":
            continue  # set-up and test commands: what CI itself runs
        words = [str(PUBLIC_LOGS[w]) if w in PUBLIC_LOGS else w for w in words]
        done = subprocess.run([sys.executable, "-m", "servsim.cli", *words[1:]], cwd=folder, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, f"{page}: {shlex.join(words)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


def test_other_commands_name_what_exists():
    """A benchmark's command names a script of ``benchmarks/`` and only options it defines; ``pip install`` names
    extras the project declares; nothing else but ``servsim`` and the test command is given to run."""
    extras = set(re.findall(r"^(\w+) = \[", (ROOT / "pyproject.toml").read_text(), re.M))
    seen = 0
    for page, code in blocks("sh"):
        for words in commands(code):
            if words[0] == "servsim" or words[:3] == ["python", "-m", "pytest"]:
                continue
            seen += 1
            if words[0] == "pip":
                asked = re.search(r"\[(.*)\]", " ".join(words)).group(1).split(",")
                assert set(asked) <= extras, (page, words)
                continue
            assert words[0] == "python" and words[1].startswith("benchmarks/"), (page, words)
            script = (ROOT / words[1]).read_text(encoding="utf-8")
            for option in (w.split("=")[0] for w in words[2:] if w.startswith("--")):
                assert f'"{option}"' in script, (page, words[1], option)
    assert seen >= 5
