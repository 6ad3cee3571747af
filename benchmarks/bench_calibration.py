"""Benchmark of calibration: import plus calibrate, end to end, on the real logs beside the project (the
ServiceNow export and the October 1999 call log) or, where they are absent, on the shipped samples.

    python benchmarks/bench_calibration.py

Targets (issue 8): the full ServiceNow log under 60 s, a call log under 30 s.
"""

from __future__ import annotations

import time
from pathlib import Path

import servsim

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CASES = [
    ("ServiceNow, whole log", DATA / "servicenow_uci" / "incident_event_log.zip", "servicenow", None, {}, 60.0),
    ("ServiceNow, whole log, --capacity", DATA / "servicenow_uci" / "incident_event_log.zip", "servicenow", None,
     {"capacity": True}, 60.0),
    ("October 1999 call log, 4 weeks", DATA / "callcentre" / "anonbank_october_1999.txt.gz", "callcentre", None,
     {"start": "1999-10-01", "end": "1999-10-29"}, 30.0),
    ("shipped ticket sample", ROOT / "calibration" / "sample" / "tickets.csv.gz", "tickets",
     ROOT / "calibration" / "presets" / "servsim-tickets.yaml", {}, 60.0),
    ("shipped call sample", ROOT / "calibration" / "sample" / "calls.txt.gz", "callcentre", None, {}, 30.0),
]


def main() -> None:
    print(f"{'log':<38} {'rows':>8} {'import s':>9} {'calibrate s':>12} {'total s':>8}  target")
    for label, path, fmt, mapping, options, target in CASES:
        if not path.exists():
            print(f"{label:<38} skipped: {path.name} is not beside the project")
            continue
        began = time.perf_counter()
        history = servsim.import_log(path, fmt, mapping)
        imported = time.perf_counter()
        servsim.calibrate(history, **options)
        done = time.perf_counter()
        total = done - began
        verdict = "meets target" if total < target else "MISSES target"
        print(f"{label:<38} {history.quality.rows_read:>8,} {imported - began:>9.1f} {done - imported:>12.1f} "
              f"{total:>8.1f}  < {target:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
