"""Side panel timings in Debian's Chromium (Playwright) → bench/results/panel.json.

The real app on the full default KB (offline drafter), 50 in-KB dev questions. For each: click
"Proposer", then time, inside the page (performance.now(), no Python round trips), until the
first draft text appears in the textarea and until the draft is complete (the textarea becomes
editable). Also the page weight: bytes of every asset the panel loads.
Targets (issue 6): first text ≤ 300 ms p95, full draft ≤ 500 ms p95, page weight ≤ 300 KB.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from bench.common import live_server, machine, percentiles_ms, write_result
from tests.panel.conftest import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-panel-agent-token-0123456789"
# Installs observers, clicks, and resolves with [first text ms, complete ms] measured in the page.
MEASURE = """async () => {
  const draft = document.getElementById('draft');
  draft.value = '';
  const t0 = performance.now();
  let first = null;
  const done = new Promise((resolve, reject) => {
    const tick = () => {
      const now = performance.now() - t0;
      if (first === null && draft.value.length > 0) first = now;
      if (first !== null && !draft.readOnly) resolve([first, now]);
      else if (now > 5000) reject(new Error('no draft within 5 s (abstained or routed)'));
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  document.getElementById('ask').click();
  return await done;
}"""


def main() -> None:
    from assistant.app import create_app
    from assistant.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="hra-panel-bench-"))
    questions = [json.loads(x) for x in (ROOT / "eval/datasets/questions-dev.jsonl").read_text().splitlines()]
    sample = random.Random(0).sample([q["question"] for q in questions if q["relevant_ids"]], 80)
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    settings = Settings(
        env="test",
        database_url=f"sqlite:///{work}/p.sqlite",
        kb={"index_dir": work / "kb"},  # type: ignore[arg-type]
        auth={"tokens": {"agent": [TOKEN]}},  # type: ignore[arg-type]
        feedback={"pseudonym_key_file": work / "p.key"},
        drafting={"control_share": 0.0},  # the bench times drafts: no control-arm question
    )  # type: ignore[arg-type]
    firsts, fulls, drafted = [], [], 0
    weight: dict[str, int] = {}
    try:
        with live_server(create_app(settings)) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 420, "height": 900})
            page.on(
                "response", lambda r: weight.__setitem__(r.url, len(r.body())) if "/panel/" in r.url else None
            )
            page.goto(f"{base}/")
            page.get_by_label("Jeton agent").fill(TOKEN)
            page.get_by_label("Identifiant agent").fill("bench-agent")
            page.get_by_role("button", name="Se connecter").click()
            page.get_by_label("Question reçue").wait_for()
            for question in sample:
                if drafted == limit:
                    break
                page.get_by_label("Question reçue").fill(question)
                try:
                    first, full = page.evaluate(MEASURE)
                except Exception:
                    continue
                drafted += 1
                firsts.append(first / 1000)
                fulls.append(full / 1000)
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result: dict[str, Any] = {
        "questions_timed": drafted,
        "first_text_ms": percentiles_ms(firsts),
        "full_draft_ms": percentiles_ms(fulls),
        "page_weight_bytes": sum(weight.values()),
        "assets": weight,
        "targets": {"first_text_p95_ms": 300, "full_draft_p95_ms": 500, "page_weight_bytes": 300_000},
        "machine": machine(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(
        {k: result[k] for k in ("questions_timed", "first_text_ms", "full_draft_ms", "page_weight_bytes")},
        file=sys.stderr,
    )
    write_result("panel", result)


if __name__ == "__main__":
    main()
