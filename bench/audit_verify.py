"""Time to verify the audit chain of a 100,000-event log → bench/results/audit_verify.json.

Builds a real alembic-migrated SQLite log in a temp dir (the tests' builder, bulk mode: the chain is
computed with feedback.chain's functions and inserted with executemany — building is not timed),
then runs the full ``verify`` (links, digests, event rows re-derived, orphan events) three times,
plus once against a signed checkpoint. Target: ≤ 10 s on a slow 2-core machine.

Run from the repository root: ``python -m bench.audit_verify [--events 100000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine, peak_rss_mb, write_result
from feedback.audit import make_checkpoint, verify
from tests.fixtures.audit_log import migrated_engine, populate

TARGET_S = 10.0
RUNS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000, help="verify page size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = migrated_engine(Path(tmp) / "audit.sqlite")
        t = time.perf_counter()
        populate(engine, args.events, bulk=True)
        build_s = time.perf_counter() - t
        seconds = []
        for _ in range(RUNS):
            t = time.perf_counter()
            report = verify(engine, batch=args.batch)
            seconds.append(time.perf_counter() - t)
            if not report.ok or report.tree_size != args.events:
                sys.exit(f"unexpected report on an untouched log: {report}")
        checkpoint = make_checkpoint(engine, b"k" * 32, check=False)
        t = time.perf_counter()
        with_checkpoint = verify(engine, checkpoint, b"k" * 32, batch=args.batch)
        checkpoint_s = time.perf_counter() - t
        assert with_checkpoint.ok, with_checkpoint
        db_mb = (Path(tmp) / "audit.sqlite").stat().st_size / 2**20
        engine.dispose()
    median = statistics.median(seconds)
    result = {
        "events": args.events,
        "batch": args.batch,
        "runs_s": [round(s, 3) for s in seconds],
        "median_s": round(median, 3),
        "entries_per_s": round(args.events / median),
        "with_checkpoint_s": round(checkpoint_s, 3),
        "target_s": TARGET_S,
        "meets_target": median <= TARGET_S,
        "build_s": round(build_s, 1),
        "db_mb": round(db_mb, 1),
        "peak_rss_mb": peak_rss_mb(),
        "database": "SQLite (WAL), alembic head",
        "machine": machine(),
    }
    path = write_result("audit_verify", result)
    print(
        f"verify {args.events} entries: median {median:.2f} s ({result['entries_per_s']} entries/s), "
        f"target {TARGET_S:.0f} s → {path}"
    )


if __name__ == "__main__":
    main()
