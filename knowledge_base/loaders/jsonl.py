"""JSON Lines sources in the hr-fr format (one document per line; see sources/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from knowledge_base.documents import Audience, Document
from knowledge_base.loaders.base import LoadIssue, LoadResult, iso_date
from knowledge_base.normalise import normalise_text, promote_bare_headings

REQUIRED = ("id", "title", "text")
CIVIL_SERVICE_PREFIXES = ("faq-barri:",)


def _audience(record: dict[str, Any]) -> Audience:
    meta = record.get("meta") or {}
    if record.get("audience") in ("private-sector", "civil-service", "all"):
        return record["audience"]  # type: ignore[no-any-return]
    if meta.get("fonction_publique") is True or str(record["id"]).startswith(CIVIL_SERVICE_PREFIXES):
        return "civil-service"
    return "private-sector"


def _updated(record: dict[str, Any]) -> str | None:
    meta = record.get("meta") or {}
    for value in (record.get("updated"), meta.get("date"), meta.get("snapshot")):
        if found := iso_date(value):
            return found
    return None


def record_to_document(record: dict[str, Any], origin: str) -> Document:
    missing = [k for k in REQUIRED if not isinstance(record.get(k), str) or not record[k].strip()]
    if missing:
        raise ValueError(f"missing or empty field(s): {', '.join(missing)}")
    text = normalise_text(record["text"])
    if "\n## " not in f"\n{text}":  # sources without Markdown headings (service-public extraction)
        text = promote_bare_headings(text)
    return Document(
        id=record["id"].strip(),
        title=normalise_text(record["title"]),
        text=text,
        source=str(record.get("source") or Path(origin).stem),
        url=record.get("url") or None,
        license=record.get("license") or None,
        updated=_updated(record),
        audience=_audience(record),
        origin_file=origin,
    )


def load_jsonl(path: Path) -> LoadResult:
    result = LoadResult()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        result.issues.append(LoadIssue(str(path), "-", f"unreadable file: {exc}"))
        return result
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a record must be a JSON object")
            result.documents.append(record_to_document(record, str(path)))
        except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            result.issues.append(LoadIssue(str(path), f"line {number}", str(exc)))
    return result
