"""The labelled questions the semantic router learns from and is judged on, split once and for all.

- ``sensitive_v2.jsonl`` / ``out_of_scope_v2.jsonl``: written for the safety issue by reviewers who
  never saw the model; each row says its split (``tune`` or ``untuned``).
- ``sensitive.jsonl`` / ``out_of_scope.jsonl``: the older sets, written alongside the keyword
  lexicon — training only (``tune``), never reported as held out.
- ``questions-dev.jsonl``: ordinary HR questions (class ``rh``). A stable hash of the id puts one
  question in four in ``tune``; the other three are ``untuned`` (ordinary questions wrongly routed,
  in-KB questions still drafted).

The training (``eval/train_router.py``) reads only ``tune`` rows; ``bench/safety.py`` reports both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant.pipeline.router import OOS_PREFIX, ORDINARY

DATASETS = Path(__file__).resolve().parent / "datasets"
Split = Literal["tune", "untuned"]
Kind = Literal["sensitive", "out_of_scope", "ordinary", "hard_negative"]


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    label: str  # a sensitive category, "rh", or "hors_rh:<topic>"
    kind: Kind
    split: Split
    indirect: bool = False
    source: str = ""


# The older out-of-scope set's topics, in the newer set's vocabulary (one message per topic).
_V1_TOPICS = {
    "restauration": "locaux",
    "parking": "locaux",
    "salles": "locaux",
    "fournitures": "locaux",
    "vie de l'entreprise": "calendrier_interne",
    "démarches personnelles": "vie_personnelle",
    "déplacements": "autre_service",
    "courrier": "autre_service",
    "fiscalité personnelle": "fiscalite",
    "assurance personnelle": "assurance",
    "droit étranger": "hors_sujet",
    "divers": "hors_sujet",
}


def _rows(name: str) -> list[dict[str, object]]:
    path = DATASETS / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dev_split(question_id: str) -> Split:
    digest = hashlib.sha256(question_id.encode("utf-8")).digest()
    return "tune" if digest[0] % 4 == 0 else "untuned"


def examples() -> list[Example]:
    out: list[Example] = []
    for r in _rows("sensitive_v2.jsonl"):
        category = str(r["category"])
        none = category == "none"
        out.append(
            Example(
                id=str(r["id"]),
                text=str(r["question"]),
                label=ORDINARY if none else category,
                kind="hard_negative" if none else "sensitive",
                split="untuned" if r.get("split") == "untuned" else "tune",
                indirect=bool(r.get("indirect")),
                source="sensitive_v2",
            )
        )
    for r in _rows("sensitive.jsonl"):
        out.append(
            Example(
                str(r["id"]),
                str(r["question"]),
                str(r["category"]),
                "sensitive",
                "tune",
                False,
                "sensitive_v1",
            )
        )
    for name, source in (
        ("out_of_scope_v2.jsonl", "out_of_scope_v2"),
        ("out_of_scope.jsonl", "out_of_scope_v1"),
    ):
        for r in _rows(name):
            split: Split = "untuned" if r.get("split") == "untuned" else "tune"
            out.append(
                Example(
                    id=str(r["id"]),
                    text=str(r["question"]),
                    label=OOS_PREFIX
                    + _V1_TOPICS.get(str(r.get("topic")), str(r.get("topic") or "hors_sujet")),
                    kind="out_of_scope",
                    split=split,
                    source=source,
                )
            )
    for r in _rows("questions-dev.jsonl"):
        qid = str(r["id"])
        out.append(
            Example(qid, str(r["question"]), ORDINARY, "ordinary", dev_split(qid), source="questions-dev")
        )
    return out
