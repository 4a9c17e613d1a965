"""Drafts that changed when retrieval moved from Chroma's HNSW index to the exact in-memory scan
(``RetrievalSettings.exact_search_max``, commit 52f2e68), rendered blind for grading with
``../shared/DRAFT-RUBRIC.md`` → bench/results/draft_review/.

One build of the full default KB, two drafting services on the same index: the default one (exact
scan) and one whose searcher has ``exact_search_max=0`` (Chroma's approximate index, the old
behaviour). Every question of a seeded sample of 800 dev questions (outside the three report
samples of ``bench.draft_review``) is drafted (offline drafter, assisted arm) by both; those whose
draft text or decision differs are kept, and a seeded 20 of them are rendered with the two drafts
as « version 1 » / « version 2 » in a seeded order (the key in a separate file, so the reader
grades blind). The 40 questions of the untouched sample are drafted both ways too (how many change).

Usage:
  python -m bench.draft_review_exact render      # → drafts_exact_vs_hnsw.md + exact_vs_hnsw_key.json
  python -m bench.draft_review_exact summarise BLIND_GRADES.json   # → grades_exact_vs_hnsw.json
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine
from bench.draft_review import FRESH_SEED, SEED, UNTOUCHED_SEED, sample
from bench.drafting import build, rows

DRAW_SEED = 20261129
POOL, PICK = 800, 20
OUT = RESULTS / "draft_review"
DRAFTS = OUT / "drafts_exact_vs_hnsw.md"
KEY = OUT / "exact_vs_hnsw_key.json"
GRADES = OUT / "grades_exact_vs_hnsw.json"
RANK = {"A": 4, "B": 3, "C": 2, "D": 1}
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


class _FixedKnowledge:
    """What DraftingService needs of a KnowledgeService (``searcher()``), answering with one searcher."""

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher

    def searcher(self) -> Any:
        return self._searcher


def pool() -> list[dict[str, Any]]:
    """800 dev questions drawn with DRAW_SEED, none from the report samples of bench.draft_review."""
    report = {q["id"] for s in (SEED, FRESH_SEED, UNTOUCHED_SEED) for q in sample(s)}
    dev = sorted((q for q in rows("questions-dev.jsonl") if q["id"] not in report), key=lambda q: q["id"])
    return random.Random(DRAW_SEED).sample(dev, POOL)


def services(work: Path) -> dict[str, Any]:
    """The default service (exact scan) and one on the same index with Chroma's HNSW index."""
    from assistant.services.drafting import DraftingService
    from knowledge_base.search import HybridSearcher

    exact = build(work)
    searcher = exact.knowledge.searcher()
    hnsw_searcher = HybridSearcher(
        searcher.index, exact.settings.retrieval.model_copy(update={"exact_search_max": 0})
    )
    if not searcher.exact or hnsw_searcher.exact:
        raise RuntimeError(
            f"expected exact search on one side only: exact={sorted(searcher.exact)}, "
            f"hnsw={sorted(hnsw_searcher.exact)}"
        )
    print(f"exact lists: {sorted(searcher.exact)}; hnsw service: none", file=sys.stderr)
    hnsw = DraftingService(
        exact.settings,
        _FixedKnowledge(hnsw_searcher),  # type: ignore[arg-type]
        exact.store,
        exact.telemetry,
        exact.llm,
    )
    return {"exact": exact, "hnsw": hnsw}


def draft(service: Any, question: str) -> dict[str, Any]:
    from assistant.services.drafting import DraftRequest

    return service.create(DraftRequest(question, arm="assisted"))  # type: ignore[no-any-return]


def differs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["text"] != b["text"] or a["decision"]["kind"] != b["decision"]["kind"])


def french_date(updated: str | None) -> str:
    try:
        y, m, d = (int(x) for x in (updated or "").split("-")[:3])
        return f"{d} {MONTHS[m - 1]} {y}"
    except (ValueError, IndexError):
        return "date de mise à jour inconnue"


def sources(d: dict[str, Any]) -> str:
    """The sources list as the panel shows it (citations.js: one entry per document, numbered by its
    smallest n, « [n] titre — date (aussi [m]) », the cited sentence marked in the passage), then the
    other retrieved passages by title only (the panel lists those only when there is no draft)."""
    retrieved = d["passages"]
    by_chunk = {p["chunk_id"]: p for p in retrieved}
    by_n = {p["n"]: p for p in retrieved}
    cited = d.get("citations") or []
    shown = cited or retrieved
    entries: dict[str, list[dict[str, Any]]] = {}
    for c in shown:
        same_n = by_n.get(c["n"])
        full = by_chunk.get(c.get("chunk_id")) or (
            same_n if same_n and same_n["doc_id"] == c.get("doc_id") else None
        )
        passage = {**(full or {}), **c, "text": c.get("text") or (full or {}).get("text") or ""}
        entries.setdefault(c.get("doc_id") or c.get("chunk_id") or f"n{c['n']}", []).append(passage)
    lines = []
    for ps in sorted(entries.values(), key=lambda e: min(p["n"] for p in e)):
        ps.sort(key=lambda p: p["n"])
        first = ps[0]
        others = " ".join(f"[{p['n']}]" for p in ps[1:])
        lines.append(
            f"- [{first['n']}] {first.get('title')} — {french_date(first.get('updated'))}"
            f"{f' (aussi {others})' if others else ''} · `{first.get('doc_id')}`"
        )
        for p in ps:
            section = " › ".join(p.get("heading_path") or [])
            cited_sentence = p.get("cited_sentence")
            lines.append(
                f"  - [{p['n']}] {f'Section : {section}' if section else ''}"
                f"{f' · phrase citée : « {cited_sentence} »' if cited_sentence else ''}\n"
                f"    > {p['text'][:900].replace(chr(10), ' ')}"
            )
    if cited:
        shown_n = {c["n"] for c in cited}
        rest = [p for p in retrieved if p["n"] not in shown_n]
        if rest:
            lines.append(
                "- autres passages retrouvés (non cités) : "
                + " ; ".join(f"[{p['n']}] {p['title']}" for p in rest)
            )
    return "\n".join(lines) or "Aucune source trouvée."


def version(label: str, d: dict[str, Any]) -> str:
    flags = "; ".join(f"{f['kind']}: {f['value']}" for f in d["flags"]) or "aucun"
    return (
        f"### {label}\n\n**Décision** : {d['decision']['kind']} — {d['decision']['reason']}\n\n"
        f"**Brouillon** :\n\n{d['text'] or '(pas de brouillon)'}\n\n**Signalements** : {flags}\n\n"
        f"**Sources** :\n{sources(d)}\n"
    )


def render() -> None:
    work = Path(tempfile.mkdtemp(prefix="hra-exact-review-"))
    try:
        svc = services(work)
        questions = pool()
        drafts: dict[str, dict[str, dict[str, Any]]] = {}
        for i, q in enumerate(questions):
            drafts[q["id"]] = {mode: draft(s, q["question"]) for mode, s in svc.items()}
            if (i + 1) % 100 == 0:
                print(f"{i + 1}/{len(questions)}", file=sys.stderr)
        changed = [q for q in questions if differs(drafts[q["id"]]["exact"], drafts[q["id"]]["hnsw"])]
        # the same mode drafting twice gives the same draft (so a difference comes from the search)
        unstable = [
            q["id"] for q in changed if differs(draft(svc["exact"], q["question"]), drafts[q["id"]]["exact"])
        ]
        untouched = sample(UNTOUCHED_SEED)
        untouched_changed = [
            q["id"] for q in untouched if differs(*(draft(s, q["question"]) for s in svc.values()))
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rng = random.Random(DRAW_SEED)
    picked = rng.sample(sorted(changed, key=lambda q: q["id"]), min(PICK, len(changed)))
    key, parts = [], []
    for q in picked:
        order = ["exact", "hnsw"] if rng.random() < 0.5 else ["hnsw", "exact"]
        key.append({"id": q["id"], "version_1": order[0], "version_2": order[1]})
        pair = drafts[q["id"]]
        parts.append(
            f"## {q['id']} ({q['origin']})\n\n**Question** : {q['question']}\n\n"
            f"**Réponse officielle** : {q.get('reference_answer') or '—'}\n\n"
            + "\n".join(version(f"version {n}", pair[mode]) for n, mode in enumerate(order, 1))
        )
    OUT.mkdir(parents=True, exist_ok=True)
    DRAFTS.write_text(
        f"# Brouillons : recherche exacte vs index HNSW (à noter à l'aveugle)\n\n"
        f"{len(picked)} questions tirées (graine {DRAW_SEED}) parmi les {len(changed)} des {POOL} questions "
        "de dev dont le brouillon ou la décision change ; l'ordre des deux versions est tiré au sort."
        "\n\n---\n\n" + "\n---\n\n".join(parts),
        encoding="utf-8",
    )
    counts = {
        "pool": POOL,
        "pool_seed": DRAW_SEED,
        "pool_note": "dev questions outside bench.draft_review's three report samples (seeds "
        f"{SEED}, {FRESH_SEED}, {UNTOUCHED_SEED})",
        "differing": len(changed),
        "differing_ids": [q["id"] for q in changed],
        "differing_decision": sum(
            1
            for q in changed
            if drafts[q["id"]]["exact"]["decision"]["kind"] != drafts[q["id"]]["hnsw"]["decision"]["kind"]
        ),
        "redraft_unstable": unstable,
        "untouched_sample": {
            "seed": UNTOUCHED_SEED,
            "questions": len(untouched),
            "differing": len(untouched_changed),
            "differing_ids": untouched_changed,
        },
    }
    KEY.write_text(
        json.dumps({"counts": counts, "key": key}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{DRAFTS}\n{KEY}", file=sys.stderr)


def summarise(blind_path: Path) -> None:
    """Blind grades ([{id, question, version_1: {grade, reason}, version_2: {...}, preferred:
    "version 1" | "version 2" | "same"}]) unblinded with the key → grades_exact_vs_hnsw.json."""
    blind = json.loads(blind_path.read_text(encoding="utf-8"))
    stored = json.loads(KEY.read_text(encoding="utf-8"))
    key = {k["id"]: k for k in stored["key"]}
    graded, verdicts, by_grade = [], Counter[str](), Counter[str]()
    per_mode: dict[str, Counter[str]] = {"exact": Counter(), "hnsw": Counter()}
    for g in blind:
        k = key[g["id"]]
        modes = {k["version_1"]: g["version_1"], k["version_2"]: g["version_2"]}
        for mode, v in modes.items():
            per_mode[mode][v["grade"]] += 1
        preferred = g["preferred"]
        exact_label = "version 1" if k["version_1"] == "exact" else "version 2"
        verdict = "same" if preferred == "same" else ("better" if preferred == exact_label else "worse")
        verdicts[verdict] += 1
        e, h = modes["exact"]["grade"], modes["hnsw"]["grade"]
        if e in RANK and h in RANK:
            by_grade["better" if RANK[e] > RANK[h] else "worse" if RANK[e] < RANK[h] else "same"] += 1
        else:
            by_grade["same" if e == h else "call_vs_draft"] += 1
        graded.append(
            {**g, "version_1_is": k["version_1"], "version_2_is": k["version_2"], "exact_is": verdict}
        )

    def dist(c: Counter[str]) -> dict[str, Any]:
        n = sum(c[x] for x in "ABCD") or 1
        return {
            **{x: c.get(x, 0) for x in "ABCD"},
            "right_calls_not_graded": c.get("right_call", 0),
            "graded": sum(c[x] for x in "ABCD"),
            "A_plus_B": round((c["A"] + c["B"]) / n, 3),
            "D_share": round(c["D"] / n, 3),
        }

    result = {
        "rubric": "../shared/DRAFT-RUBRIC.md",
        "what": "offline drafts (assisted arm) with the exact in-memory dense search (default, "
        "exact_search_max=20000) vs Chroma's HNSW index (exact_search_max=0), same build of the default KB",
        "counts": stored["counts"],
        "sample": {"seed": DRAW_SEED, "size": len(blind), "drafts": DRAFTS.name, "key": KEY.name},
        "distribution": {mode: dist(c) for mode, c in per_mode.items()},
        "pairs_exact_vs_hnsw": {x: verdicts.get(x, 0) for x in ("better", "same", "worse")},
        "pairs_by_grade": {x: by_grade.get(x, 0) for x in ("better", "same", "worse", "call_vs_draft")},
        "pair_rule": "pairs_exact_vs_hnsw: the reader's blind preference between the two versions "
        "(grades first; same grade → which the agent would rather send, or 'same'); pairs_by_grade: "
        "the two grades alone (A > B > C > D; a right call and a graded draft are 'call_vs_draft')",
        "grades": graded,
        "machine": machine(),
    }
    if blind_path.with_suffix(".patterns.json").exists():
        result["patterns"] = json.loads(blind_path.with_suffix(".patterns.json").read_text(encoding="utf-8"))
    GRADES.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(GRADES, file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("render")
    s = sub.add_parser("summarise")
    s.add_argument(
        "grades", type=Path, help="blind grades; NAME.patterns.json beside it is added as 'patterns'"
    )
    args = parser.parse_args()
    if args.cmd == "render":
        render()
    else:
        summarise(args.grades)


if __name__ == "__main__":
    main()
