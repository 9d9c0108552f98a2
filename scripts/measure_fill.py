"""CPU per `fill_return` and the sha256 of every filled file, for comparing two checkouts back to back.

    UDFI_FORMS_DIR=../shared/irs-forms .venv/bin/python scripts/measure_fill.py [--profile] [--out shas.json]

Accounts: the first 60 2022 return.json files of the bench's 1,000-account sample (the packages `make
bench` writes to bench/out/packages-book-1000-s20240501; run `make bench` once first), then heavy ones: tests/forms/data (six_properties → continuation) and the K-1 fixture
book (several Schedules A). CPU is time.process_time() over a warmed-up process.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import sys
import time
from pathlib import Path

from udfi.forms.blanks import find_blanks
from udfi.forms.fill import fill_return

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "bench" / "out" / "packages-book-1000-s20240501"  # written by `make bench`


def sample_accounts() -> list[tuple[str, dict]]:
    found = []
    for folder in sorted(SAMPLE.iterdir())[:60]:
        path = folder / "2022" / "return.json"
        if path.exists():
            found.append((folder.name, json.loads(path.read_text())))
    return found


def heavy_accounts() -> list[tuple[str, dict]]:
    sys.path.insert(0, str(REPO / "tests" / "forms"))
    from forms_helpers import ACCOUNTS, load_account

    from udfi.engine.compute import compute_book
    from udfi.engine.report import account_object
    from udfi.validate import validate_book

    found = [(f"tests/{name}", load_account(name, 2022)) for name in ACCOUNTS]
    report = validate_book(REPO / "fixtures" / "k1")
    found += [(f"k1/{r.account_id}", account_object(r)) for r in compute_book(report.book, 2022)]
    return found


def cpu_ms(accounts: list[dict], blanks, repeat: int, flatten: bool = False) -> float:
    start = time.process_time()
    for _ in range(repeat):
        for account in accounts:
            fill_return(account, 2022, blanks, flatten=flatten)
    return (time.process_time() - start) / (repeat * len(accounts)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import udfi

    print("udfi from", Path(udfi.__file__).parent)
    blanks = find_blanks(2022, REPO.parent / "shared" / "irs-forms")
    sample, heavy = sample_accounts(), heavy_accounts()
    shas = {}
    for name, account in sample + heavy:
        shas[name] = hashlib.sha256(fill_return(account, 2022, blanks)).hexdigest()  # also warms the caches
        shas[name + " flat"] = hashlib.sha256(fill_return(account, 2022, blanks, flatten=True)).hexdigest()
    print(f"{len(sample)} sample accounts: ms CPU per fill {cpu_ms([a for _, a in sample], blanks, 2):.1f}")
    print(f"{len(heavy)} heavy accounts: ms CPU per fill {cpu_ms([a for _, a in heavy], blanks, 2):.1f}")
    for name, account in heavy:
        print(f"  {name}: {cpu_ms([account], blanks, 3):.1f} ms")
    print(f"sha256 of all {len(shas)} outputs: {hashlib.sha256(json.dumps(shas, sort_keys=True).encode()).hexdigest()}")
    if args.out:
        args.out.write_text(json.dumps(shas, indent=1, sort_keys=True))
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _, account in sample:
            fill_return(account, 2022, blanks)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
