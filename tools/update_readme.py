#!/usr/bin/env python3
"""Rewrite the README's generated block: the skip ledger of the default spec.

usage: python tools/update_readme.py [--spec environments.yaml] [--readme README.md] [--check]

The ledger comes from generator.policy's scanner exceptions, the same data the inline
annotations are rendered from, so the README cannot drift from the output. --check writes
nothing and exits 1 when the README is stale (the test suite runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.context import ledger_table
from generator.loader import load_spec

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("<!-- ledger:start -->", "<!-- ledger:end -->")


def with_ledger(readme: str, table: str) -> str:
    start, end = readme.index(MARKERS[0]) + len(MARKERS[0]), readme.index(MARKERS[1])
    return readme[:start] + "\n" + table + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=str(ROOT / "environments.yaml"))
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is stale")
    args = parser.parse_args(argv)
    _, spec = load_spec(args.spec)
    current = args.readme.read_text(encoding="utf-8")
    wanted = with_ledger(current, ledger_table(spec.environments))
    if args.check:
        if wanted != current:
            print(f"{args.readme}: the skip ledger is stale; run `make readme`", file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
