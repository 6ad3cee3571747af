"""The ``servsim`` command: a thin layer over the library functions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .errors import ServsimError


def _validate(args: argparse.Namespace) -> int:
    from .scenario import load_scenario

    for path in args.scenarios:
        s = load_scenario(path)
        print(f"{path}: valid ({s.name}: {len(s.demand.channels)} channels, {len(s.ticket_types)} ticket types, "
              f"{len(s.teams)} teams, {sum(sh.headcount for t in s.teams.values() for sh in t.shifts.values())} "
              "people on shifts)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .scenario import Scenario

    print(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))
    return 0


def _run(args: argparse.Namespace) -> int:
    from .kpi import format_report
    from .scenario import dump_scenario, load_scenario
    from .simulate import simulate

    scenario = load_scenario(args.scenario)
    result = simulate(scenario, seed=args.seed)
    report = result.kpis()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "scenario.yaml").write_text(dump_scenario(scenario), encoding="utf-8")
        result.tickets.to_parquet(out / "tickets.parquet", index=False)
        result.events.to_parquet(out / "events.parquet", index=False)
        (out / "kpis.json").write_text(report.to_json(indent=2), encoding="utf-8")
        (out / "run.json").write_text(json.dumps({**result.metadata(), "source": str(args.scenario)}, indent=2),
                                      encoding="utf-8")
    if args.json:
        print(report.to_json(indent=2))
    else:
        print(f"{scenario.name}: {len(result.tickets):,} tickets simulated, seed {args.seed}, "
              f"{result.wall_time_s:.2f} s")
        print(format_report(report))
        if args.out:
            print(f"\nwritten to {args.out}/: scenario.yaml tickets.parquet events.parquet kpis.json run.json")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="servsim", description="What-if simulation of service-desk operations.")
    parser.add_argument("--version", action="version", version=f"servsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("scenarios", nargs="+", type=Path)
    p.set_defaults(func=_validate)
    p = sub.add_parser("schema", help="print the scenario file's JSON schema")
    p.set_defaults(func=_schema)
    p = sub.add_parser("run", help="simulate one scenario once and print its KPIs")
    p.add_argument("scenario", type=Path)
    p.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    p.add_argument("--out", type=Path, help="folder for the scenario, ticket log, KPIs and run metadata")
    p.add_argument("--json", action="store_true", help="print the KPIs as JSON instead of tables")
    p.set_defaults(func=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ServsimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
