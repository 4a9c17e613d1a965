"""Value flags on answers written by people → bench/results/check_noise.json.

The value checks were tuned against attacks; what they cost is the flags they raise on good answers.
The offline drafts are extractive (they copy the passages, so they cannot show it). This bench puts
the 141 reference answers of the dev questions (written by people: CDTN contributions, the BARRI
FAQ…) through ``check_draft`` with the passages retrieval gives for their question, as if a model had
written them from those passages, and counts the value flags (figures, durations, amounts, articles,
links…; the freshness kinds and « no citation » left out: the answers carry no [n]).

A flag here is not always noise — an answer may state a figure the five passages retrieved do not
give — but every flag is an « à vérifier » an agent would have to clear. Split: dev (the split the
retrieval was tuned on). The figure rule's notion of a unit was refined after reading its first flags
here (« 1 Hors », « 2° », « 25 x »): these answers are a tuning set for that rule, not a held-out one.

Usage: OMP_NUM_THREADS=1 python -m bench.check_noise
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import machine, write_result

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "datasets" / "questions-dev.jsonl"
NOT_VALUES = {"no_citation", "injection", "stale_term", "expired_measure", "old_figure", "contradiction"}


def main() -> None:
    from assistant.pipeline.checks import check_draft
    from assistant.pipeline.pii import mask_pii
    from assistant.services.drafting import passages_from_hits
    from assistant.services.knowledge import KnowledgeService
    from assistant.settings import Settings

    knowledge = KnowledgeService(Settings())
    knowledge.start()
    searcher = knowledge.searcher()
    rows = [json.loads(x) for x in QUESTIONS.read_text(encoding="utf-8").splitlines() if x.strip()]
    answers = [r for r in rows if r.get("reference_answer")]
    kinds: Counter[str] = Counter()
    flagged: list[dict[str, Any]] = []
    for row in answers:
        hits = searcher.search(mask_pii(row["question"]).for_retrieval, None, top_k=5)
        passages = passages_from_hits(hits, searcher.index.manifest.documents)
        checked = check_draft(row["reference_answer"], passages, None)
        flags = [f for f in checked.flags if f.kind not in NOT_VALUES]
        kinds.update(f.kind for f in flags)
        if flags:
            flagged.append({"id": row["id"], "flags": [[f.kind, f.value] for f in flags]})
    result = {
        "method": __doc__.split("\n\n", 1)[1].split("\n\nUsage")[0].replace("\n", " "),
        "answers": len(answers),
        "answers_with_a_value_flag": len(flagged),
        "flags_by_kind": dict(kinds.most_common()),
        "flagged": flagged,
        "machine": machine(),
    }
    print(json.dumps({k: result[k] for k in ("answers", "answers_with_a_value_flag", "flags_by_kind")}))
    print(write_result("check_noise", result))


if __name__ == "__main__":
    main()
