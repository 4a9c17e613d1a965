"""Topic inference on the gold set (eval only): does the topic inferred for a dev question (the
app's way: masked question + titles / heading paths of the retrieved passages) match the topic of
its relevant document?

The documents carry no human topic label: a document's reference topic is the same taxonomy
applied to its title plus its breadcrumb (service-public.fr), theme (code du travail numérique) or
section (CISIRH), metadata the app never sees at drafting time. It is a silver label, so the
numbers measure agreement with the KB's own classification, not with a human.

Writes bench/results/topics.json. Usage: ``python -m bench.topics [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.pipeline.pii import mask_pii
from assistant.pipeline.topics import taxonomy
from assistant.services.drafting import passages_from_hits
from bench.retrieval import SELF_DOC_ORIGINS, load_questions
from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.search import HybridSearcher
from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "knowledge_base" / "sources" / "kb.jsonl"
OUT = ROOT / "bench" / "results" / "topics.json"


def _flat(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def document_topics() -> dict[str, str | None]:
    tax = taxonomy()
    out: dict[str, str | None] = {}
    for line in KB.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        meta = doc.get("meta") or {}
        headings = _flat(meta.get("breadcrumb"))[1:] + _flat(meta.get("theme"))
        headings += _flat(meta.get("section")) + _flat(meta.get("subsection"))
        out[doc["id"]] = tax.document_topic(doc["title"], headings)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    tax = taxonomy()
    docs = document_topics()
    questions = load_questions(args.limit)
    work = Path(tempfile.mkdtemp(prefix="hra-topics-"))
    try:
        source = work / "kb.jsonl"
        shutil.copy(KB, source)
        settings = KnowledgeBaseSettings(sources=[source], index_dir=work / "index")
        ingest(settings)
        searcher = HybridSearcher(KnowledgeIndex.open(settings), RetrievalSettings())
        rows: list[dict[str, Any]] = []
        started = time.perf_counter()
        for i, q in enumerate(questions):
            gold = {docs.get(d) for d in q["relevant_ids"]} - {None}
            masked = mask_pii(q["question"]).text
            passages = passages_from_hits(searcher.search(masked, None, top_k=5))
            rows.append(
                {
                    "origin": q.get("origin"),
                    "gold": gold,
                    "question_only": tax.infer(masked),
                    "app": tax.infer(masked, passages),
                }
            )
            if (i + 1) % 500 == 0:
                print(f"{i + 1}/{len(questions)}", file=sys.stderr)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def share(subset: list[dict[str, Any]], key: str) -> dict[str, Any]:
        labelled = [r for r in subset if r["gold"]]
        hits = sum(1 for r in labelled if r[key] in r["gold"])
        return {
            "n_labelled": len(labelled),
            "match_share": round(hits / len(labelled), 4) if labelled else None,
            "fallback_share": round(sum(1 for r in subset if r[key] == tax.fallback) / len(subset), 4)
            if subset
            else None,
        }

    other = [r for r in rows if r["origin"] not in SELF_DOC_ORIGINS]
    self_doc = [r for r in rows if r["origin"] in SELF_DOC_ORIGINS]
    confusions = Counter(
        (min(r["gold"]), r["app"]) for r in other if r["gold"] and r["app"] not in r["gold"]
    ).most_common(15)
    result = {
        "dataset": "eval/datasets/questions-dev.jsonl",
        "questions": len(rows),
        "reference": "topic of the relevant documents (any of them) from title + breadcrumb/theme/section "
        "with the same taxonomy (silver label, not human)",
        "documents": {
            "total": len(docs),
            "with_topic": sum(1 for t in docs.values() if t),
            "by_topic": dict(Counter(t or "(none)" for t in docs.values()).most_common()),
        },
        "questions_without_reference_topic": sum(1 for r in rows if not r["gold"]),
        "all": {"app": share(rows, "app"), "question_only": share(rows, "question_only")},
        "not_self_doc": {"app": share(other, "app"), "question_only": share(other, "question_only")},
        "self_doc_origins": {
            "app": share(self_doc, "app"),
            "question_only": share(self_doc, "question_only"),
        },
        "top_confusions_not_self_doc": [{"reference": g, "inferred": a, "n": n} for (g, a), n in confusions],
        "inference_plus_search_ms_mean": round(1000 * seconds / max(len(rows), 1), 1),
        "taxonomy_topics": len(tax.topics),
    }
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("all", "not_self_doc", "self_doc_origins")}, indent=2))


if __name__ == "__main__":
    main()
