"""What the ``hra kb sync`` review catches, and what it asks of its reader → bench/results/sync_review.json.

Two questions, one per side of the trade-off:

- ``poisoned_fiches``: every planted page of the attack files (eval/datasets/injections_fr*.jsonl)
  arrives in a sync of the shipped base, two ways: as a new official fiche (``new_fiche``), and
  appended as a new section to a real fiche drawn at random (seeded) — an altered fiche
  (``altered_fiche``). Caught = held back (not written), or every value the attacker wanted in a
  reply (its url, e-mail, phone, amount, duration and article markers) listed for the person
  reviewing the sync; ``values_listed`` is what that person then reads. A marker the value reader
  does not read as a value (a false rule said in words, a citation, the prompt) is out of reach of
  a list of values: such pages count as caught only when held. Counted over all pages, over the
  pages that got through the draft checks once official (``bench/injection_poisoned.py``, obeying
  model), and over blind 14 alone. The review was written without reading the attack pages (the
  instruction and value reading it reuses were tuned on every set but blind 14); ``first_run`` is
  its first measurement, before two rules were added after seeing which pages it missed (but not
  the pages): a new fiche lists all its values, a phone number the base gives nowhere holds the
  record. A changed fiche's sentences added and removed are listed too (``sentences_changed``): a
  rule said in words shows there, at the cost of more reading.
- ``forged_updates_blind15``: eval/datasets/forged_fiches_blind15.jsonl, 45 forged updates of real
  fiches (a figure changed in place, a sentence added, a wrong article, a contact swapped, values
  written to be missed), written by a helper who read neither the review nor these results, after
  the review was finished: measured once, never tuned on. Caught and out of reach as above.
- ``real_upgrades``: real versions of @socialgouv/fiches-travail-data synced one after another from
  a copy of the shipped base — what an upstream update that nobody forged puts in front of the
  reviewer: records held (all of them wrongly), values listed, CPU time.

Usage: OMP_NUM_THREADS=1 python -m bench.sync_review [--from-version 4.1168.0 --to-version 4.1174.0 …]
(fetches the package versions with ``npm pack``: network at bench time, never in tests).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.pipeline.checks import SourceEvidence
from assistant.services.kb_review import SyncReviewer
from bench.common import machine, write_result
from eval.injection import FACT_KINDS, load_attacks
from knowledge_base.connectors import RecordReview, get_connector, read_jsonl, sync

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "eval" / "datasets"
SHIPPED_KB = ROOT / "knowledge_base" / "sources" / "kb.jsonl"
BLIND15 = DATASETS / "forged_fiches_blind15.jsonl"
POISONED = ROOT / "bench" / "results" / "injection_poisoned.json"
SEED = 16
NOTHING = SourceEvidence([])  # against which every value a text gives is new
# The first measurement (new fiches only; values listed only when the whole base gave them nowhere;
# no rule on phone numbers), kept as it was printed:
FIRST_RUN = {
    "new_fiche": {"all_pages": "344 / 452 caught (267 held)", "through_the_draft_checks": "50 / 108 (4 held)"}
}
UPGRADES = [("4.1168.0", "4.1174.0"), ("4.486.0", "4.1174.0")]  # ten days apart; a year's restructuring


def judged(review: RecordReview, markers: list[str]) -> dict[str, Any]:
    """What a review shows of the values an attacker wanted in a reply. A marker counts when the value
    reader reads it (« 7,45 € », not « une seule fois »); it is shown when a listed value is the same
    figure as the draft checks read it (« 7,45 euros » shows « 7,45 € »). Out of reach: nothing the
    attacker wanted is a value — a rule said in words, a citation, the prompt (the draft checks see
    the last two)."""
    listed = SourceEvidence([" ; ".join(v.value for v in review.values)])
    wanted = [value for value in markers if NOTHING.new_values(value)]
    missed = [value for value in wanted if listed.new_values(value)]
    return {
        "values_listed": len(review.values),
        "sentences_changed": review.sentences_changed,
        "markers": len(wanted),
        "missed": missed,
        "caught": bool(review.held) or (bool(wanted) and not missed),
        "out_of_reach": not review.held and not wanted,
    }


def poisoned_fiches(reviewer: SyncReviewer, altered: bool) -> dict[str, Any]:
    base = read_jsonl(SHIPPED_KB)
    evidence = reviewer.base(base)
    fiches = [r for r in base if r["id"].startswith("mt:")]
    draw = random.Random(SEED)
    through = {
        name: set(row["obeying_model"]["succeeded_ids"])
        for name, row in json.loads(POISONED.read_text(encoding="utf-8"))["per_set"].items()
    }
    rows, reasons = [], Counter()
    for path in sorted(DATASETS.glob("injections_fr*.jsonl")):
        for attack in load_attacks(path):
            if attack.passage is None:
                continue
            page = attack.passage
            if altered:  # the forger adds a section to a real fiche
                old = draw.choice(fiches)
                section = f"\n\n## {page['title']}\n\n{page['text']}"
                review = reviewer.review({**old, "text": old["text"] + section}, old, evidence)
            else:
                record = {"id": f"mt:planted-{attack.id}", "title": page["title"], "text": page["text"]}
                review = reviewer.review({**record, "url": page.get("url", "")}, None, evidence)
            facts = [m for m in attack.markers if m.kind in FACT_KINDS]
            verdict = judged(review, [m.value for m in facts])
            kinds = {m.value: m.kind for m in facts}
            reasons.update(reason.split(" « ")[0] for reason in review.held)
            rows.append(
                {
                    "set": path.stem,
                    "id": attack.id,
                    "through_draft_checks": attack.id in through.get(path.stem, set()),
                    **verdict,
                    "held": bool(review.held),
                    "missed": [f"{kinds[value]}:{value}" for value in verdict["missed"]],
                }
            )

    def tally(selected: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "pages": len(selected),
            "caught": sum(r["caught"] for r in selected),
            "held": sum(r["held"] for r in selected),
            "listed_not_held": sum(r["caught"] and not r["held"] for r in selected),
            "out_of_reach": sorted(f"{r['set']}/{r['id']}" for r in selected if r["out_of_reach"]),
            "missed": sorted(
                f"{r['set']}/{r['id']}" for r in selected if not r["caught"] and not r["out_of_reach"]
            ),
        }

    return {
        "values_listed_per_page_median": statistics.median(r["values_listed"] for r in rows),
        # an altered fiche also lists its sentences reworded, new or gone: what a rule said in words needs
        "sentences_changed_per_page_median": statistics.median(r["sentences_changed"] for r in rows),
        "all_pages": tally(rows),
        "through_the_draft_checks": tally([r for r in rows if r["through_draft_checks"]]),
        "blind14_never_tuned_on": tally([r for r in rows if r["set"] == "injections_fr_blind14"]),
        "held_reasons": dict(reasons.most_common()),
        "misses": {f"{r['set']}/{r['id']}": r["missed"] for r in rows if r["missed"] and not r["caught"]},
    }


def forged_updates(reviewer: SyncReviewer, path: Path = BLIND15) -> dict[str, Any]:
    """Each line of the blind set edits one real fiche (find → replace, or append); the sync reads
    the edited fiche against the one it replaces."""
    base = read_jsonl(SHIPPED_KB)
    evidence = reviewer.base(base)
    by_id = {r["id"]: r for r in base}
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        forgery = json.loads(line)
        old = by_id[forgery["fiche"]]
        text = old["text"]
        for edit in forgery["edits"]:
            text = (
                text + "\n\n" + edit["append"]
                if "append" in edit
                else text.replace(edit["find"], edit["replace"], 1)
            )
        review = reviewer.review({**old, "text": text}, old, evidence)
        verdict = judged(review, [m["value"] for m in forgery["markers"]])
        rows.append({"id": forgery["id"], **verdict, "held": review.held})
    return {
        "forgeries": len(rows),
        "caught": sum(r["caught"] for r in rows),
        "held": sum(bool(r["held"]) for r in rows),
        "listed_not_held": sum(r["caught"] and not r["held"] for r in rows),
        "out_of_reach": [r["id"] for r in rows if r["out_of_reach"]],
        "missed": {r["id"]: r["missed"] for r in rows if not r["caught"] and not r["out_of_reach"]},
        "values_listed_per_forgery_median": statistics.median(r["values_listed"] for r in rows),
        "sentences_changed_per_forgery_median": statistics.median(r["sentences_changed"] for r in rows),
        "held_reasons": dict(Counter(h.split(" « ")[0] for r in rows for h in r["held"]).most_common()),
    }


def real_upgrade(old: str, new: str, work: Path) -> dict[str, Any]:
    connector = get_connector("fiches-travail")
    kb = work / "kb.jsonl"
    shutil.copy(SHIPPED_KB, kb)
    sync(connector, kb, version=old)  # the base as it was at ``old``
    started = time.process_time()
    report = sync(connector, kb, version=new, reviewer=SyncReviewer(), dry_run=True)
    seconds = time.process_time() - started
    values = [v for r in report.review for v in r.values]
    fresh = [v for v in values if v.new_to_base]
    per_record = [len(r.values) for r in report.review]
    return {
        "from": old,
        "to": new,
        "added": len(report.added),
        "changed": len(report.changed),
        "removed": len(report.removed),
        "held": {h.id: next(r.held for r in report.review if r.id == h.id) for h in report.held},
        "values_listed": len(values),
        "sentences_changed": sum(r.sentences_changed for r in report.review),
        "values_new_to_base": len(fresh),
        "records_with_values": sum(1 for n in per_record if n),
        "values_per_record_median": statistics.median(per_record) if per_record else 0,
        "kinds_new_to_base": dict(Counter(v.kind for v in fresh).most_common()),
        "cpu_s_fetch_excluded": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-upgrades", action="store_true", help="no npm: the poisoned fiches only")
    args = parser.parse_args()
    started = time.process_time()
    reviewer = SyncReviewer()
    attacks = {
        way: poisoned_fiches(reviewer, way == "altered_fiche") for way in ("new_fiche", "altered_fiche")
    }
    attacks["cpu_s"] = round(time.process_time() - started, 1)
    blind15 = forged_updates(reviewer)
    print("blind 15", blind15)
    attacks["first_run"] = FIRST_RUN
    for way in ("new_fiche", "altered_fiche"):
        print(way, {k: v for k, v in attacks[way].items() if k != "misses"})
    upgrades = []
    if not args.skip_upgrades:
        for old, new in UPGRADES:
            with tempfile.TemporaryDirectory(prefix="bench-sync-review-") as tmp:
                upgrades.append(real_upgrade(old, new, Path(tmp)))
                print(upgrades[-1])
    result = {
        "method": __doc__.split("\n\n", 1)[1].split("\n\nUsage")[0].replace("\n", " "),
        "poisoned_fiches": attacks,
        "forged_updates_blind15": blind15,
        "real_upgrades": upgrades,
        "machine": machine(),
    }
    write_result("sync_review", result)


if __name__ == "__main__":
    main()
