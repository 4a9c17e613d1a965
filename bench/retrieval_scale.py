"""Hybrid query latency at scale: a synthetic 100k-chunk index → bench/results/retrieval_scale.json.

Synthetic chunks are perturbations of the real ones (sentences shuffled, ~15 % of words dropped,
vector = real vector + Gaussian noise, renormalised), one per synthetic document. Their vectors are
put in the embedding cache under the right keys, then the *real* ingest builds the index (BM25 +
Chroma for each embedder) — so the build path and the query path are the production ones.

Usage: OMP_NUM_THREADS=1 python -m bench.retrieval_scale [--chunks 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import machine, peak_rss_mb, percentiles_ms, write_result
from knowledge_base.chunking import split_document
from knowledge_base.embedders import make_embedder
from knowledge_base.embeddings import EmbeddingCache, cache_key
from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.loaders.jsonl import record_to_document
from knowledge_base.search import HybridSearcher
from knowledge_base.settings import ChromaSettings, KnowledgeBaseSettings, RetrievalSettings

ROOT = Path(__file__).resolve().parents[1]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def perturb_text(text: str, rng: random.Random) -> str:
    sentences = _SENTENCE.split(text)
    rng.shuffle(sentences)
    words = " ".join(sentences).split()
    return " ".join(w for w in words if rng.random() > 0.15) or text


def perturb_vector(v: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    out = v + rng.normal(0, sigma, v.shape).astype(np.float32)
    return out / np.linalg.norm(out)


def build_synthetic(
    work: Path, n_chunks: int, chroma: ChromaSettings | None = None
) -> tuple[KnowledgeBaseSettings, Any, float, float]:
    """A synthetic ``n_chunks`` index under ``work`` (embedded Chroma, or the server ``chroma``
    names): (its settings, the ingest report, seconds to generate, seconds to build)."""
    extra: dict[str, Any] = {"chroma": chroma} if chroma is not None else {}
    # 1. The real index, to get real chunks and their vectors.
    real = KnowledgeBaseSettings(index_dir=work / "real")
    ingest(real)
    index = KnowledgeIndex.open(real)
    vectors = {d.name: d.vectors() for d in index.dense}
    real_cache = EmbeddingCache(real.index_dir / "embeddings.sqlite")
    title_vectors = {  # the title vector of each real chunk's document
        d.name: np.stack(
            [
                real_cache.get_many([k])[k]
                for k in (cache_key(d.embedder.model_id, str(c.metadata["title"])) for c in index.chunks)
            ]
        )
        for d in index.dense
    }
    real_cache.close()
    # 2. Synthetic one-chunk documents + their vectors in the cache of the big index.
    big = KnowledgeBaseSettings(sources=[work / "synthetic.jsonl"], index_dir=work / "big", **extra)
    big.index_dir.mkdir(parents=True)
    cache = EmbeddingCache(big.index_dir / "embeddings.sqlite")
    model_ids = {name: make_embedder(name, big.embeddings).model_id for name in vectors}
    rng, nrng = random.Random(0), np.random.default_rng(0)
    t = time.perf_counter()
    with (work / "synthetic.jsonl").open("w", encoding="utf-8") as out:
        batch: dict[str, list[tuple[str, np.ndarray]]] = {n: [] for n in vectors}
        for i in range(n_chunks):
            pos = i % len(index.chunks)
            src = index.chunks[pos]
            record = {
                "id": f"syn:{i}",
                "title": f"{src.metadata['title']} ({i})",
                "source": "synthetic",
                "url": f"https://example.test/syn/{i}",
                "text": perturb_text(src.text, rng),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            doc = record_to_document(record, "synthetic")
            for chunk in split_document(doc, big.chunking):
                for name, matrix in vectors.items():
                    vec = perturb_vector(matrix[pos], nrng, 0.02)
                    batch[name].append((cache_key(model_ids[name], chunk.embed_text), vec))
            for name, matrix in title_vectors.items():  # titles are embedded at ingest too
                vec = perturb_vector(matrix[pos], nrng, 0.02)
                batch[name].append((cache_key(model_ids[name], doc.title), vec))
            if len(batch[next(iter(batch))]) >= 5000:
                for items in batch.values():
                    cache.put_many(items)
                    items.clear()
        for items in batch.values():
            cache.put_many(items)
    cache.close()
    generate_seconds = time.perf_counter() - t
    # 3. The real ingest at scale.
    t = time.perf_counter()
    report = ingest(big, progress=None)
    build_seconds = time.perf_counter() - t
    print(
        f"built {report.chunks} chunks in {build_seconds:.0f} s (embedded {report.embedded})", file=sys.stderr
    )
    return big, report, generate_seconds, build_seconds


def dev_questions(n: int) -> list[str]:
    questions = [
        json.loads(line)["question"]
        for line in (ROOT / "eval/datasets/questions-dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return random.Random(1).sample(questions, n)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hra-scale-"))
    try:
        big, report, generate_seconds, build_seconds = build_synthetic(work, args.chunks)
        searcher = HybridSearcher(KnowledgeIndex.open(big), RetrievalSettings())
        sample = dev_questions(args.queries)
        for q in sample[:10]:
            searcher.search(q)
        durations = []
        for q in sample:
            t = time.perf_counter()
            searcher.search(q)
            durations.append(time.perf_counter() - t)
        result = {
            "chunks": report.chunks,
            "documents": report.documents,
            "embedded_during_ingest": report.embedded,
            "generate_seconds": round(generate_seconds, 1),
            "build_seconds": round(build_seconds, 1),
            "build_stages": report.seconds,
            "hybrid_search_ms": percentiles_ms(durations),
            "target_p95_ms": 80,
            "peak_rss_mb": peak_rss_mb(),
            "machine": machine(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        path = write_result("retrieval_scale", result)
        print(f"hybrid p50/p95 {result['hybrid_search_ms']} → {path}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
