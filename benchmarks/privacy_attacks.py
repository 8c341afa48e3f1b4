"""Accord's privacy attack suite: each attack against its target, as one JSON object.

    python benchmarks/privacy_attacks.py [--only NAME ...] [--quick] [--seed N]

Attacks live in ``benchmarks/attacks/`` and register themselves (see its
``__init__``). Each reports attacker accuracy or cells recovered, its target and
whether the defence held; the exit status is 1 if any did not.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks import Context, load_all


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="Attacks to run (default all).")
    parser.add_argument("--quick", action="store_true", help="Fewer trials, for a smoke test.")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    registry = load_all()
    names = args.only or sorted(registry)
    unknown = sorted(set(names) - set(registry))
    if unknown:
        parser.error(f"no attack {', '.join(unknown)}; there are {', '.join(sorted(registry))}")
    results: dict[str, object] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="accord-attacks-") as tmp:
        for name in names:
            began = time.monotonic()
            workdir = Path(tmp) / name
            workdir.mkdir()
            result = registry[name](Context(workdir, args.seed, args.quick))
            result["seconds"] = round(time.monotonic() - began, 1)
            results[name] = result
    held = all(bool(r["held"]) for r in results.values())  # type: ignore[index]
    print(
        json.dumps(
            {
                "command": "python benchmarks/privacy_attacks.py"
                + (" --quick" if args.quick else ""),
                "seconds": round(time.monotonic() - started, 1),
                "all_held": held,
                "attacks": results,
            },
            indent=2,
        )
    )
    return 0 if held else 1


if __name__ == "__main__":
    raise SystemExit(main())
