"""The public API is short and documented on the notebook users' page (its example runs in test_docs)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import servsim
from helpers import ROOT


def test_all_matches_the_documented_api_list():
    """The notebook users' page lists every public name, and the API reference renders each of them."""
    page = (ROOT / "docs" / "notebook.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^- `servsim\.(\w+)", page, flags=re.M))
    assert documented == set(servsim.__all__)
    reference = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^::: servsim\.(\w+)$", reference, flags=re.M)) == set(servsim.__all__)


def test_every_public_name_resolves():
    for name in servsim.__all__:
        assert getattr(servsim, name) is not None, name
    assert servsim.erlang.erlang_c(2, 1.0) > 0
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        servsim.nonesuch  # noqa: B018


def test_import_and_validate_stay_light():
    """`import servsim` and `servsim validate` load no pandas, scipy or matplotlib (they cost seconds): the
    modules that need them are imported on first use."""
    code = ("import sys, servsim; from servsim.cli import main; "
            f"main(['validate', {str(ROOT / 'scenarios' / 'baseline.yaml')!r}]); "
            "print(sorted(m for m in ('pandas', 'scipy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_notebook_conveniences_validate_what_they_make():
    """A path runs like a scenario; a headcount changes in one call; a scenario edited in Python is validated
    when run; a scenario survives model_dump() and model_validate()."""
    from helpers import BASELINE

    scenario = servsim.load_scenario(BASELINE)
    assert len(servsim.simulate(str(BASELINE), seed=1).tickets) == len(servsim.simulate(scenario, seed=1).tickets)
    more = scenario.with_changes({"teams.l2.shifts.evening.headcount": 3}, name="more")
    assert more.teams["l2"].shifts["evening"].headcount == 3 and more.name == "more"
    with pytest.raises(servsim.ScenarioError, match=r"unknown path 'teams\.l2\.shifts\.evning\.headcount'"):
        scenario.with_changes({"teams.l2.shifts.evning.headcount": 3})
    with pytest.raises(servsim.ScenarioError, match=r"headcount: -2: Input should be greater than or equal to 0"):
        scenario.with_changes({"teams.l2.shifts.evening.headcount": -2})
    evening = scenario.teams["l2"].shifts["evening"].model_copy(update={"headcount": -2})
    l2 = scenario.teams["l2"].model_copy(update={"shifts": {**scenario.teams["l2"].shifts, "evening": evening}})
    edited = scenario.model_copy(update={"teams": {**scenario.teams, "l2": l2}})  # pydantic does not check this
    with pytest.raises(servsim.ScenarioError, match=r"teams\.l2\.shifts\.evening\.headcount: -2"):
        servsim.simulate(edited)
    shares = scenario.demand.mix.model_copy(update={"priorities": {"P1": 0.9, "P2": 0.5}})
    with pytest.raises(servsim.ScenarioError, match="priorities"):
        servsim.simulate(scenario.model_copy(update={"demand": scenario.demand.model_copy(update={"mix": shares})}))
    assert servsim.Scenario.model_validate(scenario.model_dump()) == scenario
