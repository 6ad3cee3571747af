"""Benchmark of start-up: how long `import servsim`, `servsim --help` and `servsim validate` take in a fresh
interpreter (the CLI pays it on every command), and which heavy libraries each loads.

    python benchmarks/bench_startup.py

Target (issue 11): `servsim validate` within 0.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
HEAVY = ("pandas", "scipy", "matplotlib", "simpy")
CASES = {
    "python -c pass (the interpreter alone)": "pass",
    "import servsim": "import servsim",
    "servsim --help": "from servsim.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    "servsim validate baseline.yaml": f"from servsim.cli import main; main(['validate', {str(BASELINE)!r}])",
    "import servsim; servsim.calibrate (calibration loaded)": "import servsim; servsim.calibrate",
}


def main(repeats: int = 5) -> None:
    print(f"python {sys.version.split()[0]}, median of {repeats} fresh interpreters")
    print(f"{'what':<56} {'seconds':>8}  heavy modules loaded")
    for label, code in CASES.items():
        probe = code + f"\nimport sys; print('loaded:', ','.join(m for m in {HEAVY!r} if m in sys.modules))"
        times, loaded = [], ""
        for _ in range(repeats):
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
            times.append(time.perf_counter() - start)
            loaded = out.strip().splitlines()[-1].removeprefix("loaded:").strip()
        print(f"{label:<56} {statistics.median(times):8.2f}  {loaded or '-'}")


if __name__ == "__main__":
    main()
