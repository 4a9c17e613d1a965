"""Defects per 100 offline drafts over all dev questions → bench/results/draft_lint.json.

Runs the whole drafting service (default settings, full shipped KB, offline drafter, assisted arm)
on every question of eval/datasets/questions-dev.jsonl and counts the defect classes of
``eval.metrics.draft_lint`` in the drafts produced (abstentions and routings have no text and are
not counted), and (issue 11) the share of drafts with at least one flag and the share citing a
source older than 3 years. Targets (issue 10): 0 per 100 for scaffolding, fragment_start, cut_article,
glued_sentence and dangling_reference; ≤ 0.5 extra paragraphs per draft.

Usage: python -m bench.draft_lint [--n 0 (= all)] [--before bench/results/draft_lint.json]
The previous result given by --before is kept under "before" (its own "before" is dropped).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import machine, write_result
from bench.drafting import build, rows
from eval.metrics.draft_lint import CLASSES, lint_draft

OLD_SOURCE_YEARS = 3
TARGET_ZERO = ("scaffolding", "fragment_start", "cut_article", "glued_sentence", "dangling_reference")


def run(service: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    from assistant.pipeline.freshness import parse_updated
    from assistant.services.drafting import DraftRequest

    today = date.today()
    with_flag = citing_old = 0
    drafts_with_kind: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    examples: dict[str, list[dict[str, str]]] = {k: [] for k in CLASSES}
    drafts = extra = par_ailleurs = 0
    kinds: Counter[str] = Counter()
    for q in questions:
        d = service.create(DraftRequest(q["question"], arm="assisted"))
        kinds[d["decision"]["kind"]] += 1
        if not d["text"]:
            continue
        drafts += 1
        with_flag += bool(d["flags"])
        drafts_with_kind.update({f["kind"] for f in d["flags"]})
        dates = [parse_updated(c.get("updated", "")) for c in d["citations"]]
        citing_old += any(u is not None and (today - u).days > OLD_SOURCE_YEARS * 365.25 for u in dates)
        doc_of = {p["n"]: p["doc_id"] for p in d["passages"]}
        audience_of = {p["n"]: p.get("audience", "all") for p in d["passages"]}
        report = lint_draft(d["text"], doc_of, audience_of)
        extra += report.extra_paragraphs
        par_ailleurs += report.par_ailleurs
        for kind in CLASSES:
            n = report.count(kind)
            counts[kind] += n
            if n and len(examples[kind]) < 5:
                examples[kind].append({"id": q["id"], "fragment": report.found[kind][0]})
    per_100 = {k: round(100 * counts[k] / drafts, 2) if drafts else None for k in CLASSES}
    return {
        "questions": len(questions),
        "decisions": dict(kinds),
        "drafts": drafts,
        "per_100_drafts": per_100,
        "extra_paragraphs_per_draft": round(extra / drafts, 3) if drafts else None,
        # Issue 11: share of drafts with at least one flag, share citing a source older than 3 years
        # (judged on the day of the run), and share of drafts with each kind of flag.
        "drafts_with_flag": round(with_flag / drafts, 3) if drafts else None,
        "drafts_citing_old_source": round(citing_old / drafts, 3) if drafts else None,
        "drafts_with_flag_kind": {k: round(v / drafts, 3) for k, v in sorted(drafts_with_kind.items())},
        "reference_date": today.isoformat(),
        "par_ailleurs_per_100_drafts": round(100 * par_ailleurs / drafts, 2) if drafts else None,
        "examples": examples,
        "targets": {"zero": list(TARGET_ZERO), "extra_paragraphs_per_draft_max": 0.5},
        "met": {
            "zero_classes": all(per_100[k] == 0 for k in TARGET_ZERO),
            "extra_paragraphs": drafts > 0 and extra / drafts <= 0.5,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=0, help="dev questions (0 = all)")
    parser.add_argument("--before", type=Path, help="a previous result to keep as 'before'")
    parser.add_argument("--name", default="draft_lint")
    args = parser.parse_args()
    questions = rows("questions-dev.jsonl")
    if args.n:
        questions = random.Random(0).sample(questions, args.n)
    before = None
    if args.before and args.before.exists():
        before = json.loads(args.before.read_text(encoding="utf-8"))
        before.pop("before", None)
    work = Path(tempfile.mkdtemp(prefix="hra-lint-"))
    try:
        started = time.perf_counter()
        result = run(build(work), questions)
        result["seconds"] = round(time.perf_counter() - started, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "drafts",
                    "per_100_drafts",
                    "extra_paragraphs_per_draft",
                    "drafts_with_flag",
                    "drafts_citing_old_source",
                )
            }
        ),
        file=sys.stderr,
    )
    if before is not None:
        result["before"] = before
    result.update(machine=machine(), finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    print(write_result(args.name, result), file=sys.stderr)


if __name__ == "__main__":
    main()
