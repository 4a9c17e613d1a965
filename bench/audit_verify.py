"""Time to verify the audit chain of a 100,000-event log → bench/results/audit_verify.json.

Builds a real alembic-migrated SQLite log in a temp dir (the tests' builder, bulk mode: the chain is
computed with feedback.chain's functions and inserted with executemany — building is not timed),
then runs the full ``verify`` (links, digests, event rows re-derived, orphan events) three times,
plus once against a signed checkpoint. Target: ≤ 10 s on a slow 2-core machine.

Then the same log is exported as a bundle (``feedback.audit.export_bundle``, hra-audit-bundle/1) and
the standalone verifier (feedback/verifier/verify_audit.py) is run on it as a subprocess of the
current Python, with a receipt: ``standalone_100k_seconds`` (target ≤ 5 s; the time of the whole
process, JSON parsing included). ``browser_100k_seconds`` is left for the representatives' browser
page (WebCrypto), not built yet. Results are merged into the existing JSON (read, update, write).

Run from the repository root: ``python -m bench.audit_verify [--events 100000]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, machine, peak_rss_mb, write_result
from feedback.audit import export_bundle, make_checkpoint, verify
from tests.fixtures.audit_log import migrated_engine, populate

TARGET_S = 10.0
STANDALONE_TARGET_S = 5.0
VERIFIER = Path(__file__).resolve().parents[1] / "feedback" / "verifier" / "verify_audit.py"
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
        standalone = _standalone(engine, Path(tmp), checkpoint)
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
        **standalone,
        "browser_100k_seconds": None,  # the reps' browser page (WebCrypto) does not exist yet
        "peak_rss_mb": peak_rss_mb(),
        "database": "SQLite (WAL), alembic head",
        "machine": machine(),
    }
    previous = RESULTS / "audit_verify.json"
    merged = json.loads(previous.read_text(encoding="utf-8")) if previous.exists() else {}
    path = write_result("audit_verify", merged | result)
    print(
        f"verify {args.events} entries: median {median:.2f} s ({result['entries_per_s']} entries/s), "
        f"target {TARGET_S:.0f} s; standalone verifier on the bundle "
        f"{result['standalone_100k_seconds']:.2f} s (target {STANDALONE_TARGET_S:.0f} s) → {path}"
    )


def _standalone(engine: object, tmp: Path, checkpoint: object) -> dict[str, object]:
    """Export the bundle (timed apart) and time the standalone verifier process on it (median of 3)."""
    from dataclasses import asdict

    t = time.perf_counter()
    bundle = export_bundle(engine, b"k" * 32)  # type: ignore[arg-type]
    export_s = time.perf_counter() - t
    bundle_path, receipt_path = tmp / "bundle.json", tmp / "receipt.json"
    bundle_path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    receipt_path.write_text(json.dumps(asdict(checkpoint)), encoding="utf-8")  # type: ignore[call-overload]
    runs = []
    for _ in range(RUNS):
        t = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(VERIFIER), str(bundle_path), "--receipt", str(receipt_path)],
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        runs.append(time.perf_counter() - t)
        if done.returncode != 0:
            sys.exit(f"standalone verifier refused an untouched bundle: {done.stdout}{done.stderr}")
    median = statistics.median(runs)
    return {
        "standalone_100k_seconds": round(median, 3),
        "standalone_runs_s": [round(s, 3) for s in runs],
        "standalone_target_s": STANDALONE_TARGET_S,
        "standalone_meets_target": median <= STANDALONE_TARGET_S,
        "bundle_export_s": round(export_s, 3),
        "bundle_mb": round(bundle_path.stat().st_size / 2**20, 1),
    }


if __name__ == "__main__":
    main()
