"""Source connectors: refresh one source's records in the hr-fr JSONL knowledge base.

Every connector has the same small shape, so a new source is one new module:

    fetch(version | file, workdir) → Fetched        (the upstream package, on disk)
    records(fetched, existing)     → Converted      (hr-fr records + malformed inputs skipped)

and :func:`sync` does the rest for all of them: diff against the source's current records
(added / changed / removed, with titles), have a :class:`Reviewer` read what is added or changed
(records it holds keep their previous version, or stay out, unless accepted), replace those
records in ``kb.jsonl`` (other sources untouched, written atomically) and record what was synced —
and what the review found — in ``sync.json`` next to it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

Record = dict[str, Any]
SYNC_FILE = "sync.json"  # beside kb.jsonl; the loaders skip it (see loaders.SKIPPED_STEMS)


class SyncError(Exception):
    """The source could not be fetched or read; the knowledge base was not modified."""


@dataclass(frozen=True)
class SyncIssue:
    """One upstream record that could not be converted (skipped, and reported)."""

    record: str  # position and upstream key, e.g. "#12 (article375542)"
    reason: str


@dataclass(frozen=True)
class Fetched:
    path: Path  # the downloaded (or given) package
    package: str
    version: str
    origin: str  # "npm registry" or the local file given


@dataclass
class Converted:
    records: list[Record] = field(default_factory=list)
    issues: list[SyncIssue] = field(default_factory=list)
    # Ids of current records whose upstream entry was present but unreadable: kept as they are.
    kept_ids: set[str] = field(default_factory=set)


class Connector(Protocol):
    name: str  # the CLI name, e.g. "fiches-travail"
    prefix: str  # the id prefix of the records it owns, e.g. "mt:"

    def fetch(self, version: str | None, file: Path | None, workdir: Path) -> Fetched: ...

    def records(self, fetched: Fetched, existing: list[Record]) -> Converted: ...


@dataclass(frozen=True)
class DocChange:
    id: str
    title: str


@dataclass(frozen=True)
class ReviewedValue:
    """A figure, link, contact or reference a record gives that the base did not say before."""

    kind: str  # the draft checks' kinds: amount, duration, figure, article, phone, url, email…
    value: str
    context: str  # the value in its sentence, for the person reviewing
    new_to_base: bool = True  # False: the record did not give it, but another record of the base does


@dataclass
class RecordReview:
    id: str
    title: str
    change: str  # "added" | "changed"
    held: list[str] = field(default_factory=list)  # why the record is held back ([] = written)
    values: list[ReviewedValue] = field(default_factory=list)
    # a changed record's sentences, word for word — where a rule said in words changes (« ne peut
    # pas », a condition dropped): those reworded, as a word diff (« de [-deux-] {+trois+} mois »),
    # then those its previous version did not have at all, and those it no longer has
    reworded: list[str] = field(default_factory=list)
    new_sentences: list[str] = field(default_factory=list)
    removed_sentences: list[str] = field(default_factory=list)

    @property
    def sentences_changed(self) -> int:
        return len(self.reworded) + len(self.new_sentences) + len(self.removed_sentences)


class Reviewer(Protocol):
    """Reads the records a sync adds or changes, against the base as it was (``before``)."""

    def __call__(
        self,
        before: Sequence[Record],
        fresh: Sequence[Record],
        added: Collection[str],
        changed: Collection[str],
    ) -> list[RecordReview]: ...


@dataclass
class SyncReport:
    source: str
    package: str
    version: str
    origin: str
    synced_at: str
    kb_path: str  # the file name: sync.json sits beside it
    documents: int  # the source's records after the sync
    added: list[DocChange] = field(default_factory=list)
    changed: list[DocChange] = field(default_factory=list)
    removed: list[DocChange] = field(default_factory=list)
    unchanged: int = 0
    issues: list[SyncIssue] = field(default_factory=list)
    written: bool = False
    # what the reviewer read: held records (kept at their previous version or left out), then every
    # record with the values it brings; ``accepted``: held ones written anyway, on request
    review: list[RecordReview] = field(default_factory=list)
    held: list[DocChange] = field(default_factory=list)
    accepted: list[DocChange] = field(default_factory=list)

    @property
    def kept_back(self) -> list[DocChange]:
        """Held and not accepted: still at their previous version (or left out)."""
        accepted = {a.id for a in self.accepted}
        return [h for h in self.held if h.id not in accepted]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def review_summary(self) -> dict[str, Any]:
        """What ``sync.json`` keeps of the review (the values themselves go to the review file)."""
        values = [v for r in self.review for v in r.values]
        accepted = {a.id for a in self.accepted}
        return {
            "records_read": len(self.review),
            "values_listed": len(values),
            "values_new_to_base": sum(v.new_to_base for v in values),
            "sentences_changed": sum(r.sentences_changed for r in self.review),
            "held": [
                {"id": r.id, "title": r.title, "reasons": r.held, "accepted": r.id in accepted}
                for r in self.review
                if r.held
            ],
        }

    def review_markdown(self) -> str:
        """The review for the person who reads it: held records and why, then each record's values,
        those the base gave nowhere first, each in its sentence."""
        lines = [
            f"# Sync review — {self.source}: {self.package}@{self.version} ({self.synced_at})",
            "",
            f"{len(self.review)} added or changed record(s) read; {len(self.held)} held, "
            f"{len(self.kept_back)} of them not written, {len(self.accepted)} accepted and written.",
            "Check every value against the official publication before drafts repeat it.",
        ]
        accepted = {a.id for a in self.accepted}
        for record in sorted(self.review, key=lambda r: (not r.held, r.id)):
            if not (record.held or record.values or record.sentences_changed):
                continue
            lines += ["", f"## {record.id} ({record.change})", "", _literal(record.title), ""]
            verdict = "accepted and written" if record.id in accepted else "not written"
            lines += [f"- **held** ({verdict}): {_literal(reason)}" for reason in record.held]
            for value in record.values:
                where = "new to the base" if value.new_to_base else "given elsewhere in the base"
                lines.append(f"- {value.kind} {_literal(value.value)} ({where}) — {_literal(value.context)}")
            for heading, sentences in (
                ("Sentences reworded, [-before-] {+now+}", record.reworded),
                ("Sentences new in this version", record.new_sentences),
                ("Sentences no longer in it", record.removed_sentences),
            ):
                if sentences:
                    lines += ["", f"{heading} ({len(sentences)}):", ""]
                    lines += [f"- {_literal(sentence)}" for sentence in sentences]
        return "\n".join(lines) + "\n"


def _literal(text: str) -> str:
    """Upstream text shown as text: a forged fiche's « ![](https://…) » or « <img> » is not rendered
    by the Markdown viewer the review is read in."""
    plain = text.replace("`", "'")
    return f"`` {plain} ``"


def read_jsonl(path: Path) -> list[Record]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _content(record: Record) -> tuple[Any, ...]:
    """What a reader (and the index) sees; bookkeeping fields in ``meta`` do not count as a change."""
    meta = record.get("meta") or {}
    return (*(record.get(k) for k in ("title", "text", "url", "license")), meta.get("date"))


Changes = tuple[list[DocChange], list[DocChange], list[DocChange]]


def diff_records(old: list[Record], new: list[Record]) -> Changes:
    """(added, changed, removed) between two versions of one source's records, sorted by id."""
    before = {r["id"]: r for r in old}
    after = {r["id"]: r for r in new}
    added = [DocChange(i, after[i]["title"]) for i in sorted(after.keys() - before.keys())]
    removed = [DocChange(i, before[i]["title"]) for i in sorted(before.keys() - after.keys())]
    changed = [
        DocChange(i, after[i]["title"])
        for i in sorted(after.keys() & before.keys())
        if _content(after[i]) != _content(before[i])
    ]
    return added, changed, removed


def replace_source(records: list[Record], prefix: str, fresh: list[Record]) -> list[Record]:
    """The KB with the ``prefix`` records replaced by ``fresh`` (sorted by id) where the first one was."""
    out: list[Record] = []
    inserted = False
    for record in records:
        if not str(record.get("id", "")).startswith(prefix):
            out.append(record)
        elif not inserted:
            out.extend(sorted(fresh, key=lambda r: r["id"]))
            inserted = True
    if not inserted:
        out.extend(sorted(fresh, key=lambda r: r["id"]))
    return out


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: Path, records: list[Record]) -> None:
    _atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def sync_file(kb_path: Path) -> Path:
    return kb_path.parent / SYNC_FILE


def read_sync_records(kb_path: Path) -> dict[str, Any]:
    """``{source name: last sync report}`` recorded beside ``kb_path`` (empty when never synced)."""
    path = sync_file(kb_path)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return dict(data.get("sources", {}))


def _record_sync(kb_path: Path, report: SyncReport) -> None:
    sources = read_sync_records(kb_path)
    sources[report.source] = {**report.to_dict(), "review": report.review_summary()}
    body = {
        "about": "Upstream packages the knowledge base was last synced from (`hra kb sync`).",
        "sources": dict(sorted(sources.items())),
    }
    _atomic_write(sync_file(kb_path), json.dumps(body, ensure_ascii=False, indent=1) + "\n")


def sync(
    connector: Connector,
    kb_path: Path,
    version: str | None = None,
    file: Path | None = None,
    dry_run: bool = False,
    reviewer: Reviewer | None = None,
    accept_held: bool = False,
    accept: Collection[str] = (),
) -> SyncReport:
    """Fetch → convert → diff → review → replace the connector's records in ``kb_path`` → record the sync.

    A record the ``reviewer`` holds keeps its previous version (a new one stays out) unless accepted —
    all of them with ``accept_held``, by id with ``accept``: the sync then writes it, and says so."""
    records = read_jsonl(kb_path)
    existing = [r for r in records if str(r.get("id", "")).startswith(connector.prefix)]
    with tempfile.TemporaryDirectory(prefix=f"hra-sync-{connector.name}-") as workdir:
        fetched = connector.fetch(version, file, Path(workdir))
        converted = connector.records(fetched, existing)
    kept = [r for r in existing if r["id"] in converted.kept_ids]
    fresh = converted.records + [r for r in kept if r["id"] not in {n["id"] for n in converted.records}]
    if not fresh:
        raise SyncError(f"{fetched.package}@{fetched.version}: no usable record; {kb_path} left unchanged")
    added, changed, removed = diff_records(existing, fresh)
    review = reviewer(records, fresh, {c.id for c in added}, {c.id for c in changed}) if reviewer else []
    held = [DocChange(r.id, r.title) for r in review if r.held]
    accepted = [h for h in held if accept_held or h.id in accept]
    kept_back = {h.id for h in held} - {a.id for a in accepted}
    if kept_back:  # a held record keeps its previous version; a new one stays out
        previous = {r["id"]: r for r in existing}
        fresh = [
            previous[r["id"]] if r["id"] in kept_back else r
            for r in fresh
            if r["id"] not in kept_back or r["id"] in previous
        ]
        added, changed, removed = diff_records(existing, fresh)
    report = SyncReport(
        source=connector.name,
        package=fetched.package,
        version=fetched.version,
        origin=fetched.origin,
        synced_at=datetime.now(UTC).isoformat(timespec="seconds"),
        kb_path=kb_path.name,
        documents=len(fresh),
        added=added,
        changed=changed,
        removed=removed,
        unchanged=len(fresh) - len(added) - len(changed),
        issues=converted.issues,
        review=review,
        held=held,
        accepted=accepted,
    )
    if not dry_run:
        write_jsonl(kb_path, replace_source(records, connector.prefix, fresh))
        report.written = True
        _record_sync(kb_path, report)
    return report


def connector_names() -> list[str]:
    return sorted(CONNECTORS)


def get_connector(name: str) -> Connector:
    if name not in CONNECTORS:
        raise KeyError(f"unknown source {name!r} (known: {', '.join(connector_names())})")
    return CONNECTORS[name]()


def _fiches_travail() -> Connector:
    from knowledge_base.connectors.fiches_travail import FichesTravail

    return FichesTravail()


CONNECTORS = {"fiches-travail": _fiches_travail}
