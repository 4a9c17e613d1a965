"""Time to verify the audit chain of a 100,000-event log → bench/results/audit_verify.json.

Builds a real alembic-migrated SQLite log in a temp dir (the tests' builder, bulk mode: the chain is
computed with feedback.chain's functions and inserted with executemany — building is not timed),
then runs the full ``verify`` (links, digests, event rows re-derived, orphan events) three times,
plus once against a signed checkpoint. Target: ≤ 10 s on a slow 2-core machine.

Then the same log is exported as a bundle (``feedback.audit.export_bundle``, hra-audit-bundle/1) and
the standalone verifier (feedback/verifier/verify_audit.py) is run on it as a subprocess of the
current Python, with a receipt: ``standalone_100k_seconds`` (target ≤ 5 s; the time of the whole
process, JSON parsing included).

Then the same files are verified in Debian's Chromium (Playwright, ``/usr/bin/chromium``) by the
representatives' page module feedback/reps/static/verify.js (WebCrypto), served from a loopback
``http.server``: ``browser_100k_seconds`` is the median of 3 calls of ``verifyFiles(bundle text,
receipt text)`` timed inside the page (JSON.parse included, download of the files not), target
≤ 10 s. Results are merged into the existing JSON (read, update, write).

Run from the repository root: ``python -m bench.audit_verify [--events 100000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine, peak_rss_mb, write_result
from feedback.audit import export_bundle, make_checkpoint, verify
from tests.fixtures.audit_log import migrated_engine, populate

TARGET_S = 10.0
STANDALONE_TARGET_S = 5.0
BROWSER_TARGET_S = 10.0
VERIFIER = Path(__file__).resolve().parents[1] / "feedback" / "verifier" / "verify_audit.py"
VERIFY_JS = Path(__file__).resolve().parents[1] / "feedback" / "reps" / "static" / "verify.js"
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
        browser = _browser(Path(tmp), args.events)
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
        **browser,
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
        f"{result['standalone_100k_seconds']:.2f} s (target {STANDALONE_TARGET_S:.0f} s); verify.js in "
        f"Chromium {result['browser_100k_seconds']:.2f} s (target {BROWSER_TARGET_S:.0f} s) → {path}"
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


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serving(directory: Path) -> Iterator[str]:
    """``directory`` on a loopback port (a secure context: WebCrypto needs one), in a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


_TIMED = """async () => {
  const { verifyFiles } = await import("/verify.js");
  const text = (path) => fetch(path).then((r) => r.text());
  const [bundle, receipt] = await Promise.all([text("/bundle.json"), text("/receipt.json")]);
  const t = performance.now();
  const result = await verifyFiles(bundle, receipt);
  return { seconds: (performance.now() - t) / 1000, ...result };
}"""


def _browser(tmp: Path, events: int) -> dict[str, object]:
    """verify.js in Chromium on the bundle and receipt written by ``_standalone`` (median of 3)."""
    from playwright.sync_api import sync_playwright

    from tests.panel.conftest import CHROMIUM_ARGS

    shutil.copy(VERIFY_JS, tmp / "verify.js")
    runs = []
    with _serving(tmp) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        version = browser.version
        for _ in range(RUNS):
            page = browser.new_page()  # a fresh page each time: nothing cached between runs
            page.goto(f"{base}/verify.js")
            out = page.evaluate(_TIMED)
            page.close()
            if not out["ok"] or out["checked"] != events or out["signatures"] != "ok":
                sys.exit(f"verify.js refused an untouched bundle: {out['message']}")
            runs.append(out["seconds"])
        browser.close()
    median = statistics.median(runs)
    return {
        "browser_100k_seconds": round(median, 3),
        "browser_runs_s": [round(s, 3) for s in runs],
        "browser_target_s": BROWSER_TARGET_S,
        "browser_meets_target": median <= BROWSER_TARGET_S,
        "browser": f"Chromium {version} (headless, Playwright), feedback/reps/static/verify.js",
    }


if __name__ == "__main__":
    main()
