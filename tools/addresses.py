#!/usr/bin/env python3
"""Keep tests/data/addresses.txt, the list of every resource address tapgen has ever generated.

usage: python tools/addresses.py [--check] [--print]

Reads the addresses the current templates generate from the golden records (out/ and
tests/golden/*/, so run `make goldens` first) and adds the new ones to the list; an address is
never dropped from it, because state that holds it may exist somewhere. --print writes the
current set to stdout instead; --check writes nothing and exits 1 when the list lacks one.
When a template renames or drops an address, the list keeps the old one and
generator/addresses.py must say where it went (MOVED, REMOVED, or DESTROYED for resources
that hold no data); tests/test_addresses.py checks that.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.addresses import generated_addresses  # noqa: E402

ADDRESS_LIST = ROOT / "tests" / "data" / "addresses.txt"
HEADER = """\
# Every resource address tapgen has ever generated, one a line, sorted. An address may only leave
# the templates with an entry in generator/addresses.py (MOVED, REMOVED or DESTROYED): state that
# holds it may exist. `make addresses` adds what the current templates generate; never delete a line.
"""


def golden_directories() -> list[Path]:
    return [ROOT / "out", *sorted(p for p in (ROOT / "tests" / "golden").iterdir() if p.is_dir())]


def current_addresses() -> set[str]:
    return generated_addresses(path.read_text(encoding="utf-8")
                               for directory in golden_directories() for path in sorted(directory.glob("*.tf")))


def recorded_addresses(path: Path = ADDRESS_LIST) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the list lacks a generated address")
    parser.add_argument("--print", dest="show", action="store_true", help="print the current addresses")
    args = parser.parse_args(argv)
    current = current_addresses()
    if args.show:
        print("\n".join(sorted(current)))
        return 0
    recorded = recorded_addresses()
    missing = sorted(current - set(recorded))
    if args.check:
        if missing:
            print(f"{ADDRESS_LIST}: lacks {', '.join(missing)}; run `make addresses`", file=sys.stderr)
            return 1
        return 0
    ADDRESS_LIST.write_text(HEADER + "".join(f"{a}\n" for a in sorted({*recorded, *current})), encoding="utf-8")
    print(f"{ADDRESS_LIST}: {len(missing)} address(es) added", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
