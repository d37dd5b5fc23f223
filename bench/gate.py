"""Quality gate: benchmark scores must not drop below their pinned floors (bench/floors.json).

    python bench/gate.py                 # every check, CI sizes
    python bench/gate.py quotes          # one check
    python bench/gate.py --raise-floors  # after an improvement: pin the new scores (floors only go up)
    python bench/gate.py --lower-floors  # explicit: accept lower scores (say why in the commit)

Each check is a function ``gate() -> dict[str, float]`` in a bench script that scores real labelled data from
../shared/benchmarks on a fixed subset small enough for CI. A score below its floor (minus a tolerance of 0.005 for
float noise) fails the gate with exit status 1. Floors are only lowered by --lower-floors.

A check of an optional model (``framing_minilm``) raises MissingDependency where that model's package is not
installed: the gate then says so and skips it, unless ``STORYDIFF_GATE_STRICT=1`` (set by .ci/run, which installs
it), where a skipped check fails the gate.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLOORS = HERE / "floors.json"
TOLERANCE = 0.005
#: check name -> bench module with a gate() function (``module:function`` for another function)
CHECKS = {
    "quotes": "quotes_polnear",
    "stories": "stories_events",
    "framing_babe": "framing_babe",
    "framing_basil": "framing_basil",
    "framing_minilm": "framing_basil:gate_minilm",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checks", nargs="*", help=f"checks to run (default: all of {', '.join(CHECKS)})")
    parser.add_argument("--raise-floors", action="store_true", help="pin scores that beat their floor")
    parser.add_argument("--lower-floors", action="store_true", help="pin scores even when lower (explicit)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from storydiff.errors import MissingDependency

    floors = json.loads(FLOORS.read_text()) if FLOORS.exists() else {}
    failed, skipped = [], []
    changed = False
    for name in args.checks or list(CHECKS):
        if name not in CHECKS:
            parser.error(f"unknown check {name!r}; known: {', '.join(CHECKS)}")
        module_name, _, function = CHECKS[name].partition(":")
        check = getattr(importlib.import_module(module_name), function or "gate")
        started = time.perf_counter()
        try:
            scores = check()
        except MissingDependency as exc:
            print(f"{name:10s} skipped: {exc}")
            if os.environ.get("STORYDIFF_GATE_STRICT") == "1":
                skipped.append(name)
            continue
        seconds = time.perf_counter() - started
        pinned = floors.setdefault(name, {})
        for metric, value in sorted(scores.items()):
            floor = pinned.get(metric)
            status = "new" if floor is None else ("ok" if value >= floor - TOLERANCE else "BELOW FLOOR")
            print(f"{name:10s} {metric:38s} {value:8.4f}  floor {'-' if floor is None else f'{floor:.4f}'}  {status}")
            if status == "BELOW FLOOR":
                failed.append(f"{name}.{metric}")
                if args.lower_floors:
                    pinned[metric] = round(value, 4)
                    changed = True
            elif floor is None or (args.raise_floors and value > floor):
                pinned[metric] = round(value, 4)
                changed = True
        print(f"{name:10s} ({seconds:.1f} s)")
    if changed:
        FLOORS.write_text(json.dumps(floors, indent=1, sort_keys=True) + "\n")
    if skipped:
        print(f"quality gate FAILED: {', '.join(skipped)} skipped under STORYDIFF_GATE_STRICT=1 "
              "(install what it names)")
        return 1
    if failed and not args.lower_floors:
        print(f"quality gate FAILED: {', '.join(failed)} below floor (python bench/gate.py --lower-floors to accept)")
        return 1
    print("quality gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
