"""Experiments: replications with common random numbers, comparisons with confidence intervals, sweeps,
and the executors that run them (local processes, Dask)."""

from .core import Experiment, run_experiment
from .sweep import Sweep, parse_setting, run_sweep

__all__ = ["Experiment", "Sweep", "parse_setting", "run_experiment", "run_sweep"]
