"""servsim: what-if simulation of service-desk and after-sales operations.

Load a scenario, simulate it, read the canonical ticket log and its KPIs::

    import servsim
    scenario = servsim.load_scenario("scenarios/baseline.yaml")
    result = servsim.simulate(scenario, seed=7)
    result.kpis().overall

or compare scenarios over replications with confidence intervals::

    experiment = servsim.run_experiment(["scenarios/baseline.yaml", "scenarios/l2-evening.yaml"], replications=30)
    experiment.compare()

or calibrate a baseline on a ticket export and check it against what happened next::

    history = servsim.import_log("incident_event_log.zip", "servicenow")
    baseline = servsim.calibrate(history, start="2016-04-25", end="2016-05-16").scenario
    servsim.backtest(history, "2016-05-16", test_until="2016-06-06", history_weeks=3).table

and, for a call centre, replay a week with its actual calls and roster next to the Erlang A model::

    calls = servsim.import_log("anonbank_october_1999.txt.gz", "callcentre")
    print(servsim.staffing_backtest(calls, "1999-10-22", "1999-10-29").summary())
"""

from importlib import import_module
from typing import TYPE_CHECKING

from .errors import ScenarioError, ServsimError
from .version import __version__ as __version__

# name -> module that defines it: imported on first use, so that `import servsim` and the CLI start fast (the
# calibration modules pull in scipy.stats and matplotlib-sized dependencies that a scenario run never needs)
_LAZY = {
    "Backtest": ".calibration.backtests.backtest", "backtest": ".calibration.backtests.backtest",
    "Calibration": ".calibration.models.fitted", "calibrate": ".calibration.models.build",
    "import_log": ".calibration.importers.load",
    "StaffingBacktest": ".calibration.backtests.staffing_backtest",
    "staffing_backtest": ".calibration.backtests.staffing_backtest",
    "Experiment": ".experiment", "run_experiment": ".experiment", "run_sweep": ".experiment",
    "KpiReport": ".kpi", "compute_kpis": ".kpi",
    "Optimum": ".experiment.optimize", "optimize": ".experiment.optimize",
    "Scenario": ".scenario", "load_scenario": ".scenario",
    "SimulationResult": ".one_run", "simulate": ".one_run",
    "write_report": ".report.pages",
    "resample": ".calibration.uncertainty", "run_uncertain": ".experiment.uncertain",
}

if TYPE_CHECKING:  # what static tools and IDEs see
    from . import erlang
    from .calibration.backtests.backtest import Backtest, backtest
    from .calibration.backtests.staffing_backtest import StaffingBacktest, staffing_backtest
    from .calibration.importers.load import import_log
    from .calibration.models.build import calibrate
    from .calibration.models.fitted import Calibration
    from .calibration.uncertainty import resample
    from .experiment import Experiment, run_experiment, run_sweep
    from .experiment.optimize import Optimum, optimize
    from .experiment.uncertain import run_uncertain
    from .kpi import KpiReport, compute_kpis
    from .one_run import SimulationResult, simulate
    from .report.pages import write_report
    from .scenario import Scenario, load_scenario


def __getattr__(name: str):
    if name == "erlang":
        return import_module(".erlang", __name__)
    if name not in _LAZY:
        raise AttributeError(f"module 'servsim' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Backtest",
    "Calibration",
    "Experiment",
    "KpiReport",
    "Optimum",
    "Scenario",
    "ScenarioError",
    "ServsimError",
    "SimulationResult",
    "StaffingBacktest",
    "backtest",
    "calibrate",
    "compute_kpis",
    "erlang",
    "import_log",
    "load_scenario",
    "optimize",
    "resample",
    "run_experiment",
    "run_sweep",
    "run_uncertain",
    "simulate",
    "staffing_backtest",
    "write_report",
]
