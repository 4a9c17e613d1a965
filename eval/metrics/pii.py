"""Scores a PII masker on labelled texts (eval/datasets/pii.jsonl): recall per type, false masks.

A case is ``{"id", "text", "entities": [{"type", "value"}], "split"}``; clean texts have no
entities. An expected entity counts as found when every occurrence of its value in the text has
all its letters and digits inside masked spans (whatever kind the masker gave them: leaking the
value is what matters; ``typed_recall`` also requires the expected kind). Values that do not occur
in the text are dataset errors: counted apart, not scored.

On clean texts, ``false_mask_share`` is the share of texts with any mask and
``false_masks_per_text`` the number of masked spans per text. Pure: the masker is a parameter, so
a bench can score one split at a time.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from assistant.pipeline.pii import MaskedText, mask_pii

DATASET = Path(__file__).resolve().parents[1] / "datasets" / "pii.jsonl"

# Dataset types → the masker's kinds.
TYPE_TO_KIND = {
    "PERSON": "NAME",
    "NIR": "NIR",
    "IBAN": "IBAN",
    "PHONE": "PHONE",
    "EMAIL": "EMAIL",
    "ADDRESS": "ADDRESS",
    "DATE_OF_BIRTH": "DATE_OF_BIRTH",
    "EMPLOYEE_ID": "EMPLOYEE_ID",
}


def load_cases(path: Path = DATASET) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _occurrences(text: str, value: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(value)
    while value and start >= 0:
        spans.append((start, start + len(value)))
        start = text.find(value, start + 1)
    return spans


def _covered(text: str, span: tuple[int, int], masked: Iterable[tuple[int, int]]) -> bool:
    masked = list(masked)
    return all(any(s <= i < e for s, e in masked) for i in range(*span) if text[i].isalnum())


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def score_pii(
    cases: Iterable[Mapping[str, Any]], mask: Callable[[str], MaskedText] = mask_pii, *, misses: bool = True
) -> dict[str, Any]:
    """Recall per type and overall, false masks on clean texts. ``misses=False`` leaves the
    missed values and the clean texts' masks out of the result (for a held-out split)."""
    expected: Counter[str] = Counter()
    found: Counter[str] = Counter()
    typed: Counter[str] = Counter()
    unlocatable: list[dict[str, str]] = []
    missed: list[dict[str, str]] = []
    clean = clean_masked = clean_spans = extra = 0
    cases = list(cases)
    for case in cases:
        text = case["text"]
        result = mask(text)
        spans = [(e.start, e.end) for e in result.entities]
        entities = case.get("entities") or []
        if not entities:
            clean += 1
            clean_masked += bool(spans)
            clean_spans += len(spans)
            if spans and misses:
                missed.append(
                    {"id": case["id"], "type": "CLEAN", "value": "; ".join(e.value for e in result.entities)}
                )
            continue
        located: list[tuple[int, int]] = []
        for entity in entities:
            kind, value = entity["type"], entity["value"]
            where = _occurrences(text, value)
            if not where:
                unlocatable.append({"id": case["id"], "type": kind})
                continue
            located += where
            expected[kind] += 1
            if all(_covered(text, w, spans) for w in where):
                found[kind] += 1
                want = TYPE_TO_KIND.get(kind)
                typed[kind] += all(
                    _covered(text, w, [(e.start, e.end) for e in result.entities if e.kind == want])
                    for w in where
                )
            elif misses:
                missed.append({"id": case["id"], "type": kind, "value": value})
        extra += sum(1 for s, e in spans if not any(s < we and ws < e for ws, we in located))
    total = sum(expected.values())
    return {
        "cases": len(cases),
        "entities": total,
        "recall": _ratio(sum(found.values()), total),
        "typed_recall": _ratio(sum(typed.values()), total),
        "recall_per_type": {k: _ratio(found[k], n) for k, n in sorted(expected.items())},
        "n_per_type": dict(sorted(expected.items())),
        "clean_texts": clean,
        "false_mask_share": _ratio(clean_masked, clean),
        "false_masks_per_text": _ratio(clean_spans, clean),
        "extra_masks_in_pii_texts": extra,
        "unlocatable_values": len(unlocatable),
        **({"misses": missed} if misses else {}),
    }
