"""Exact in-memory dense search vs Chroma's HNSW index → bench/results/exact_search.json.

On the full default KB (shipped vectors), two builds made from scratch in two directories:
- reproducibility: for every dev question, are the passages a search returns (top 8, in order)
  the same on both builds? With HNSW each build's graph misses different neighbours;
- quality: retrieval metrics of the configured hybrid on the dev questions, both ways (the dev
  split is the one the fusion weights were tuned on: this compares two ways of computing the same
  lists, it is not a held-out quality figure);
- cost: CPU and wall time of one search (two query embeddings + every list + fusion), median
  over the sample, both ways; the searcher's opening time with the vectors read from Chroma.

Usage: OMP_NUM_THREADS=1 python -m bench.exact_search [--limit N] [--cpu-sample 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import machine, write_result
from bench.retrieval import DATASET, evaluate
from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.search import HybridSearcher
from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings


def open_build(work: Path) -> KnowledgeIndex:
    settings = KnowledgeBaseSettings(index_dir=work / "kb")
    ingest(settings)
    return KnowledgeIndex.open(settings)


def passages(searcher: HybridSearcher, questions: list[str]) -> list[list[str]]:
    return [[h.chunk.id for h in searcher.search(q)] for q in questions]


def cost(searcher: HybridSearcher, questions: list[str]) -> dict[str, float]:
    for q in questions[:10]:
        searcher.search(q)
    cpu, wall = [], []
    for q in questions:
        c, w = time.process_time(), time.perf_counter()
        searcher.search(q)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {
        "cpu_ms_median": round(statistics.median(cpu) * 1000, 2),
        "cpu_ms_mean": round(statistics.fmean(cpu) * 1000, 2),
        "wall_ms_median": round(statistics.median(wall) * 1000, 2),
        "n": len(questions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N dev questions")
    parser.add_argument("--cpu-sample", type=int, default=300)
    parser.add_argument("--out", default="exact_search")
    args = parser.parse_args()
    rows = [json.loads(x) for x in DATASET.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = rows[: args.limit] if args.limit else rows
    questions = [r["question"] for r in rows]
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        builds = [open_build(Path(a)), open_build(Path(b))]
        modes = {"exact": RetrievalSettings(), "hnsw": RetrievalSettings(exact_search_max=0)}
        result: dict[str, Any] = {"questions": len(questions), "chunks": len(builds[0].chunks)}
        for mode, settings in modes.items():
            t = time.perf_counter()
            searchers = [HybridSearcher(index, settings) for index in builds]
            opened = (time.perf_counter() - t) / 2
            first, second = (passages(s, questions) for s in searchers)
            differ = sum(x != y for x, y in zip(first, second, strict=True))
            quality = evaluate(builds[0], settings, rows)["hybrid"]["ALL"]
            result[mode] = {
                "searcher_open_s": round(opened, 3),
                "questions_whose_passages_differ_between_builds": differ,
                "quality_dev_hybrid": quality,
                "search_cost": cost(searchers[0], questions[: args.cpu_sample]),
            }
            print(mode, json.dumps(result[mode]), flush=True)
    result["cpu_ratio_hnsw_over_exact"] = round(
        result["hnsw"]["search_cost"]["cpu_ms_median"] / result["exact"]["search_cost"]["cpu_ms_median"], 2
    )
    result["machine"] = machine()
    write_result(args.out, result)


if __name__ == "__main__":
    main()
