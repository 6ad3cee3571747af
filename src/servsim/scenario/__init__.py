"""Scenario files: the schema (``model``), cross-section checks (``checks``) and loading (``load``)."""

from .load import deep_merge, dump_scenario, load_scenario, scenario_from_dict, scenario_hash
from .model import Scenario

__all__ = ["Scenario", "deep_merge", "dump_scenario", "load_scenario", "scenario_from_dict", "scenario_hash"]
