"""Drafts read by a person: a seeded sample of dev questions, rendered for grading with
``../shared/DRAFT-RUBRIC.md``, and the grades summarised → bench/results/draft_review.json.

The sample is drawn with a fixed seed, never hand-picked: 10 short keyword queries (one to three
words), 5 long e-mails (SRDT annotation + Observatoire FAQ, first-person messages), and 25 from
the other origins in proportion to a fixed quota (FAQ, CISIRH, contributions, search queries).
These 40 questions are the *report* split: the drafter is tuned on other dev questions only
(``tuning_questions`` excludes them), so the grades say how it does on questions it was not
tuned on.

Usage:
  python -m bench.draft_review render --out /tmp/drafts.md    # drafts of the sample, for reading
  python -m bench.draft_review summarise GRADES.json [--before OLD.json]   # → draft_review.json
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

from bench.common import RESULTS, machine, write_result
from bench.drafting import build, rows

SEED = 20261128
QUOTAS = {  # origin → how many (short queries and e-mails drawn apart)
    "faq_cdtn_2019": 7,
    "faq_cisirh_barri": 6,
    "cdtn_contributions_2020-01": 4,
    "cdtn_prequalified_2020-03": 6,
    "datafiller_frequent_queries_2019": 2,
}
SHORT, EMAILS = 10, 5
FRESH_SEED = 7  # drawn after round 2, graded after rounds 2-4
UNTOUCHED_SEED = 11  # drawn and graded once, with the final drafter: the clean check
EMAIL_ORIGINS = ("srdt_annotation_2026", "faq_odr_2017")


def is_short(question: str) -> bool:
    return len(question.split()) <= 3


def sample(seed: int = SEED) -> list[dict[str, Any]]:
    """40 questions; any other seed than SEED draws from the questions SEED's sample left out (a
    fresh sample, to check that changes made after reading one sample's grades transfer)."""
    rng = random.Random(seed)
    dev = sorted(rows("questions-dev.jsonl"), key=lambda q: q["id"])
    if seed != SEED:  # a fresh sample: none of the earlier samples' questions
        earlier = [SEED] if seed == FRESH_SEED else [SEED, FRESH_SEED]
        taken = {q["id"] for s in earlier for q in sample(s)}
        dev = [q for q in dev if q["id"] not in taken]
    short = [q for q in dev if is_short(q["question"]) and q["origin"] not in EMAIL_ORIGINS]
    emails = [q for q in dev if q["origin"] in EMAIL_ORIGINS and len(q["question"].split()) > 25]
    picked = rng.sample(short, SHORT) + rng.sample(emails, min(EMAILS, len(emails)))
    taken = {q["id"] for q in picked}
    for origin, k in QUOTAS.items():
        pool = [
            q for q in dev if q["origin"] == origin and q["id"] not in taken and not is_short(q["question"])
        ]
        picked += rng.sample(pool, min(k, len(pool)))
    missing = SHORT + EMAILS + sum(QUOTAS.values()) - len(picked)
    if missing:  # a later sample exhausts the small origins: search queries fill the gap
        taken = {q["id"] for q in picked}
        pool = [q for q in dev if q["origin"] == "cdtn_prequalified_2020-03" and q["id"] not in taken]
        picked += rng.sample([q for q in pool if not is_short(q["question"])], missing)
    return picked


def tuning_questions(seed: int = SEED) -> list[dict[str, Any]]:
    """Dev questions outside the review sample: the only ones to look at while tuning the drafter."""
    report = {q["id"] for q in sample(seed)}
    return [q for q in rows("questions-dev.jsonl") if q["id"] not in report]


def render(questions: list[dict[str, Any]], out: Path) -> None:
    from assistant.services.drafting import DraftRequest

    work = Path(tempfile.mkdtemp(prefix="hra-review-"))
    try:
        service = build(work)
        parts = []
        for q in questions:
            d = service.create(DraftRequest(q["question"], arm="assisted"))
            passages = "\n".join(
                f"  [{p['n']}] {p['doc_id']} — {p['title']} — {' > '.join(p['heading_path'])} "
                f"(màj {p['updated']})\n      « {p['text'][:900]} »"
                for p in d["passages"]
            )
            flags = "; ".join(f"{f['kind']}: {f['value']}" for f in d["flags"]) or "aucun"
            parts.append(
                f"## {q['id']} ({q['origin']})\n\n**Question** : {q['question']}\n\n"
                f"**Réponse officielle** : {q.get('reference_answer') or '—'}\n\n"
                f"**Décision** : {d['decision']['kind']} — {d['decision']['reason']}\n\n"
                f"**Brouillon** :\n\n{d['text'] or '(pas de brouillon)'}\n\n**Signalements** : {flags}\n\n"
                f"**Passages** :\n{passages}\n"
            )
        out.write_text("\n---\n\n".join(parts), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def distribution(grades: list[dict[str, Any]]) -> dict[str, Any]:
    graded = [g for g in grades if g["grade"] in "ABCD"]
    counts = Counter(g["grade"] for g in graded)
    n = len(graded) or 1
    return {
        **{k: counts.get(k, 0) for k in "ABCD"},
        "shares": {k: round(counts.get(k, 0) / n, 3) for k in "ABCD"},
        "A_plus_B": round((counts["A"] + counts["B"]) / n, 3),
        "graded": len(graded),
        "right_calls_not_graded": sum(1 for g in grades if g["grade"] == "right_call"),
        "targets": {"A_plus_B_min": 0.70, "D_max": 0.05},
    }


def summarise(
    grades_path: Path,
    before_path: Path | None,
    fresh: tuple[Path, Path] | None = None,
    rounds: list[Path] | None = None,
    untouched: tuple[Path, Path] | None = None,
    graded_commit: str | None = None,
) -> Path:
    grades = json.loads(grades_path.read_text(encoding="utf-8"))
    result: dict[str, Any] = {
        "seed": SEED,
        "rubric": "../shared/DRAFT-RUBRIC.md",
        "split": "report split: 40 dev questions never used to tune the drafter (tuning used other dev "
        "questions, bench.draft_review.tuning_questions); but the graders' failure patterns on this sample "
        "were read between rounds, so 'untouched_sample' below is the clean check",
        "grades": grades,
        "distribution": distribution(grades),
    }
    if before_path is not None:
        before = json.loads(before_path.read_text(encoding="utf-8"))
        result["before"] = {"distribution": distribution(before), "grades": before}
    if fresh is not None:
        fresh_before, fresh_after = (json.loads(p.read_text(encoding="utf-8")) for p in fresh)
        result["fresh_sample"] = {
            "seed": FRESH_SEED,
            "note": "40 other dev questions (seed 7); its graders' failure patterns were read after two "
            "rounds (changes stayed general: no rule for one question)",
            "before": {"distribution": distribution(fresh_before), "grades": fresh_before},
            "after": {"distribution": distribution(fresh_after), "grades": fresh_after},
        }
    if untouched is not None:
        u_before, u_after = (json.loads(p.read_text(encoding="utf-8")) for p in untouched)
        result["untouched_sample"] = {
            "seed": UNTOUCHED_SEED,
            "note": "40 dev questions outside both earlier samples, drawn and graded once with the final "
            "drafter (and the old one): nothing was tuned on them",
            "before": {"distribution": distribution(u_before), "grades": u_before},
            "after": {"distribution": distribution(u_after), "grades": u_after},
        }
    if rounds:
        result["intermediate_rounds"] = [
            {"file": p.name, "distribution": distribution(json.loads(p.read_text(encoding="utf-8")))}
            for p in rounds
        ]
    if graded_commit:
        result["graded_commit"] = graded_commit
    result["graders"] = (
        "each sample graded by a reader working only from the rubric and the rendered drafts (question, "
        "official answer when one exists, draft, passages); the untouched sample graded blind (two "
        "versions under neutral names)"
    )
    result["machine"] = machine()
    return write_result("draft_review", result)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("--out", type=Path, default=RESULTS / "draft_review_drafts.md")
    r.add_argument("--seed", type=int, default=SEED)
    s = sub.add_parser("summarise")
    s.add_argument("grades", type=Path)
    s.add_argument("--before", type=Path)
    s.add_argument("--fresh", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    s.add_argument("--untouched", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    s.add_argument("--graded-commit", help="the commit whose drafter wrote the graded 'after' drafts")
    s.add_argument("--rounds", type=Path, nargs="*", help="grades of intermediate versions, in order")
    args = parser.parse_args()
    if args.cmd == "render":
        render(sample(args.seed), args.out)
        print(args.out, file=sys.stderr)
    else:
        print(
            summarise(args.grades, args.before, args.fresh, args.rounds, args.untouched, args.graded_commit),
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
