"""servsim: what-if simulation of service-desk and after-sales operations.

Load a scenario, simulate it, read the canonical ticket log and its KPIs::

    import servsim
    scenario = servsim.load_scenario("scenarios/baseline.yaml")
    result = servsim.simulate(scenario, seed=7)
    result.kpis().overall

or compare scenarios over replications with confidence intervals::

    experiment = servsim.run_experiment(["scenarios/baseline.yaml", "scenarios/l2-evening.yaml"], replications=30)
    experiment.compare()
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("servsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from .errors import ScenarioError, ServsimError  # noqa: E402
from .experiment import Experiment, run_experiment, run_sweep  # noqa: E402
from .kpi import KpiReport, compute_kpis  # noqa: E402
from .scenario import Scenario, load_scenario  # noqa: E402
from .simulate import SimulationResult, simulate  # noqa: E402

__all__ = [
    "Experiment",
    "KpiReport",
    "Scenario",
    "ScenarioError",
    "ServsimError",
    "SimulationResult",
    "compute_kpis",
    "load_scenario",
    "run_experiment",
    "run_sweep",
    "simulate",
]
