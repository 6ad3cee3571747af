"""Shared fixtures: paths of the shipped scenarios and one cached baseline run."""

from __future__ import annotations

import pytest

import servsim
from helpers import BASELINE


@pytest.fixture(scope="session")
def baseline() -> servsim.Scenario:
    return servsim.load_scenario(BASELINE)


@pytest.fixture(scope="session")
def baseline_run(baseline) -> servsim.SimulationResult:
    return servsim.simulate(baseline, seed=7)
