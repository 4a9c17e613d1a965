"""What every loader returns: the documents it could read and a line per input it had to skip."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge_base.documents import Document


@dataclass(frozen=True)
class LoadIssue:
    """One skipped input, reported to the operator instead of crashing the ingest."""

    file: str
    record: str  # line number, page, or "-" when the whole file is unreadable
    reason: str


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    issues: list[LoadIssue] = field(default_factory=list)

    def extend(self, other: LoadResult) -> None:
        self.documents.extend(other.documents)
        self.issues.extend(other.issues)


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_YEAR = re.compile(r"^(\d{4})\b")


def iso_date(value: object) -> str | None:
    """Accept 'DD/MM/YYYY', 'YYYY-MM-DD…' or a leading year; anything else is unknown."""
    if value is None:
        return None
    text = str(value).strip()
    if m := _DMY.match(text):
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    if m := _ISO.match(text):
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    if m := _YEAR.match(text):
        return m.group(1)
    return None


def slug_id(stem: str) -> str:
    """A stable document id from a file name, for formats that carry no id of their own."""
    return re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-") or "document"
