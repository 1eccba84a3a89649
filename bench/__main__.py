"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench pathways gateway``.

Each benchmark is a module ``bench/bench_<name>.py`` with ``main(quick: bool) -> dict``; the
results are printed and written to ``bench/results/<name>.json`` (not committed). Copy the numbers
you keep into docs/benchmarks.md with the command and the date.
"""

import argparse
import importlib
import inspect
import json
import pkgutil
import sys
import time
from pathlib import Path

import bench

RESULTS = Path(__file__).parent / "results"


def _available() -> list[str]:
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name.startswith("bench_")
    )


def _parameters(name: str) -> set[str]:
    module = importlib.import_module(f"bench.bench_{name}")
    return set(inspect.signature(module.main).parameters)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"which benchmarks (default all): {_available()}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--only",
        metavar="PATH[,PATH...]",
        help="measure only these paths, for the benchmarks that have several (loop: "
        "e.g. dashboard_gateway); what their ratios need comes along",
    )
    parser.add_argument(
        "--no-events",
        action="store_true",
        help="loop: every outbox relay off, so an answer's events are not relayed or handled "
        "(what the answer costs without the work its events set off)",
    )
    parser.add_argument(
        "--seed", type=int, help="another seed, for benchmarks that take one (school)"
    )
    args = parser.parse_args()
    names = args.names or _available()
    unknown = sorted(set(names) - set(_available()))
    if unknown:
        parser.error(f"unknown benchmarks: {unknown}; choose from {_available()}")
    extra: dict[str, object] = {}
    if args.only:
        extra["only"] = [p.strip() for p in args.only.split(",") if p.strip()]
        cannot = [n for n in names if "only" not in _parameters(n)]
        if cannot:
            parser.error(f"--only: {cannot} measure(s) no selectable paths")
    if args.no_events:
        cannot = [n for n in names if "events" not in _parameters(n)]
        if cannot:
            parser.error(f"--no-events: {cannot} take no such option")
        extra["events"] = False
    RESULTS.mkdir(exist_ok=True)
    modules = {name: importlib.import_module(f"bench.bench_{name}") for name in names}
    options: dict[str, int] = {}
    if args.seed is not None:
        # A seed checks that a number is not one draw's luck; only a seeded benchmark takes it.
        unseeded = [n for n in names if "seed" not in _parameters(n)]
        if unseeded:
            parser.error(f"--seed: {unseeded} take no seed")
        options["seed"] = args.seed
    for name, module in modules.items():
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        result = module.main(quick=args.quick, **extra, **options)
        result["_seconds"] = round(time.perf_counter() - started, 1)
        result["_date"] = time.strftime("%Y-%m-%d")
        print(json.dumps(result, indent=2), flush=True)
        suffix = f"-seed{args.seed}" if args.seed is not None else ""
        (RESULTS / f"{name}{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
