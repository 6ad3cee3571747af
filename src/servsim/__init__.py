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
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("servsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from .calibration.backtest import Backtest, backtest  # noqa: E402
from .calibration.build import Calibration, calibrate  # noqa: E402
from .calibration.load import import_log  # noqa: E402
from .errors import ScenarioError, ServsimError  # noqa: E402
from .experiment import Experiment, run_experiment, run_sweep  # noqa: E402
from .kpi import KpiReport, compute_kpis  # noqa: E402
from .scenario import Scenario, load_scenario  # noqa: E402
from .simulate import SimulationResult, simulate  # noqa: E402

__all__ = [
    "Backtest",
    "Calibration",
    "Experiment",
    "KpiReport",
    "Scenario",
    "ScenarioError",
    "ServsimError",
    "SimulationResult",
    "backtest",
    "calibrate",
    "compute_kpis",
    "import_log",
    "load_scenario",
    "run_experiment",
    "run_sweep",
    "simulate",
]
