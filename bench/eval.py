"""Full offline evaluation of the gold set → bench/results/eval.json (key ``gold_eval_seconds``).

What ``hra eval run --dataset gold --no-llm`` does, timed end to end on this machine: every
question of eval/datasets/questions-dev.jsonl with relevant documents through the configured
retrieval (recall@5/@10, nDCG@10, MRR@10, ragas ID-based context precision/recall), and the
questions with a reference answer through the offline drafter (ragas NonLLMStringSimilarity and
ROUGE-L on folded text), then bootstrap intervals. Target: ≤ 120 s on 2 cores.

Other benches write their own keys into the same file (the dashboard's ``dashboard_render_seconds``):
the file is read and merged, never clobbered.

Usage: OMP_NUM_THREADS=1 python -m bench.eval [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")

from bench.common import RESULTS, machine, write_result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="first N gold questions (smoke run)")
    args = parser.parse_args()

    from eval.gold import gold_samples, load_gold
    from eval.scoring import applicable, offline_metrics, run_of

    started, cpu_started = time.perf_counter(), time.process_time()
    questions = load_gold(limit=args.limit)
    samples, release = gold_samples(questions)
    retrieved = time.perf_counter()
    run = run_of("gold:questions-dev.jsonl", samples, applicable(offline_metrics(), samples), release)
    finished = time.perf_counter()

    path = RESULTS / "eval.json"
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    result.setdefault("dashboard_render_seconds", None)  # written by the dashboard bench
    result.update(
        {
            "gold_eval_seconds": round(finished - started, 1),
            "gold_eval_target_seconds": 120,
            # CPU of this process (all threads): what the run costs when the machine is not shared.
            "gold_eval_cpu_seconds": round(time.process_time() - cpu_started, 1),
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "gold_eval_stages_seconds": {
                "load_index_retrieve_and_draft": round(retrieved - started, 1),
                "metrics_and_bootstrap": round(finished - retrieved, 1),
            },
            "gold_questions": len(questions),
            "gold_drafted_with_reference": sum(1 for s in samples if s["response"]),
            "gold_scores": {
                m: {"value": round(v, 4), "ci_low": round(lo, 4), "ci_high": round(hi, 4), "n": n}
                for m, (v, lo, hi, n) in sorted(run.summaries.items())
                if n
            },
            "release": release,
            "limit": args.limit,
            "machine": machine(),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    print(write_result("eval", result))
    print(
        json.dumps({k: result[k] for k in ("gold_eval_seconds", "gold_questions", "gold_scores")}, indent=1)
    )


if __name__ == "__main__":
    main()
