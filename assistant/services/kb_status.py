"""What a maintainer needs to keep the knowledge base current: documents by age, the superseded
terms and expired measures each document still carries, and what the last syncs changed.

Shared by ``hra kb status`` and ``GET /api/v1/admin/kb/status``. The lexicon scan of the whole
index (~4,000 passages) is done once per index build and cached: a build never changes.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from assistant.pipeline.freshness import FreshnessLexicon, default_lexicon, parse_updated
from assistant.settings import Settings
from knowledge_base.connectors import read_sync_records
from knowledge_base.index import KnowledgeIndex
from knowledge_base.index_store import IndexLayout


@dataclass(frozen=True)
class DocumentAge:
    doc_id: str
    title: str
    url: str
    updated: str
    age_years: float | None  # None: the source gives no date
    stale_hits: int  # superseded terms + expired measures found in the document's passages
    stale_terms: tuple[str, ...]  # lexicon entry ids, most frequent first

    def public(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "url": self.url,
            "updated": self.updated,
            "age_years": self.age_years,
            "stale_hits": self.stale_hits,
            "stale_terms": list(self.stale_terms),
        }


def age_years(updated: str, today: date) -> float | None:
    parsed = parse_updated(updated)
    return None if parsed is None else round((today - parsed).days / 365.25, 1)


def document_ages(index: KnowledgeIndex, today: date, lexicon: FreshnessLexicon) -> list[DocumentAge]:
    """Every document of the index with its age and its stale-lexicon hits, oldest first (undated
    documents last: their age is unknown, not small)."""
    rows = []
    for doc_id, positions in zip(index.doc_ids, index.doc_chunks, strict=True):
        first = index.chunks[positions[0]].metadata
        hits: Counter[str] = Counter()
        for pos in positions:
            hits.update(entry.id for entry, _ in lexicon.hits(index.chunks[pos].text, today))
        updated = str(first.get("updated", ""))
        rows.append(
            DocumentAge(
                doc_id=doc_id,
                title=str(first.get("title", "")),
                url=str(first.get("url", "")),
                updated=updated,
                age_years=age_years(updated, today),
                stale_hits=sum(hits.values()),
                stale_terms=tuple(term for term, n in hits.most_common() if n),
            )
        )
    rows.sort(key=lambda r: (r.age_years is None, -(r.age_years or 0.0), r.doc_id))
    return rows


def age_buckets(rows: list[DocumentAge], max_age_years: float) -> dict[str, int]:
    """Counts per age band: the bands an agent sees (« ancienne source » past ``max_age_years``)."""
    buckets = {"moins_1_an": 0, f"1_a_{max_age_years:g}_ans": 0, f"plus_de_{max_age_years:g}_ans": 0}
    buckets["sans_date"] = 0
    for r in rows:
        if r.age_years is None:
            buckets["sans_date"] += 1
        elif r.age_years < 1:
            buckets["moins_1_an"] += 1
        elif r.age_years <= max_age_years:
            buckets[f"1_a_{max_age_years:g}_ans"] += 1
        else:
            buckets[f"plus_de_{max_age_years:g}_ans"] += 1
    return buckets


class KbStatusService:
    def __init__(self, settings: Settings, lexicon: FreshnessLexicon | None = None) -> None:
        self.settings = settings
        self.lexicon = lexicon or default_lexicon()
        self._lock = threading.Lock()
        self._cache: tuple[tuple[str, date], list[DocumentAge]] | None = None

    def today(self) -> date:
        return self.settings.drafting.reference_date or date.today()

    def documents(self, index: KnowledgeIndex) -> list[DocumentAge]:
        """The per-document rows, computed once per (build, day, lexicon version): in memory, and
        on disk beside the build so the CLI and every replica reuse them (the scan takes ~10 s)."""
        key = (index.build_id, self.today())
        with self._lock:
            if self._cache is None or self._cache[0] != key:
                self._cache = (key, self._load_or_scan(index, key[1]))
            return self._cache[1]

    def _load_or_scan(self, index: KnowledgeIndex, today: date) -> list[DocumentAge]:
        build_dir = IndexLayout(self.settings.kb.index_dir).build_dir(index.build_id)
        path = build_dir / f"freshness-{self.lexicon.version}-{today.isoformat()}.json"
        if path.exists():
            try:
                rows = json.loads(path.read_text(encoding="utf-8"))
                return [DocumentAge(**(r | {"stale_terms": tuple(r["stale_terms"])})) for r in rows]
            except (ValueError, TypeError, KeyError):
                pass  # unreadable or from another version of this code: scan again
        ages = document_ages(index, today, self.lexicon)
        if build_dir.is_dir():
            for old in build_dir.glob("freshness-*.json"):
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps([a.public() for a in ages], ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        return ages

    def status(self, index: KnowledgeIndex, limit: int = 20) -> dict[str, Any]:
        """The report: counts, age bands, the ``limit`` oldest and the ``limit`` most stale
        documents, the last ingest and the last sync of each source."""
        rows = self.documents(index)
        max_age = self.settings.drafting.source_max_age_years
        stale = sorted((r for r in rows if r.stale_hits), key=lambda r: (-r.stale_hits, r.doc_id))
        layout = IndexLayout(self.settings.kb.index_dir)
        return {
            "kb_version": index.kb_version,
            "build_id": index.build_id,
            "documents": len(rows),
            "chunks": len(index.chunks),
            "reference_date": self.today().isoformat(),
            "max_age_years": max_age,
            "lexicon_version": self.lexicon.version,
            "age_bands": age_buckets(rows, max_age),
            "by_year": dict(sorted(Counter((r.updated or "")[:4] or "sans date" for r in rows).items())),
            "oldest": [r.public() for r in rows if r.age_years is not None][:limit],
            "documents_with_stale_terms": len(stale),
            "stale_hits": sum(r.stale_hits for r in rows),
            "most_stale": [r.public() for r in stale[:limit]],
            "last_ingest": layout.read_last_report(),
            "syncs": self.syncs(),
        }

    def syncs(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for source in self.settings.kb.sources:
            kb_path = source if source.suffix == ".jsonl" else Path(source) / "kb.jsonl"
            records.extend(read_sync_records(kb_path).values())
        return records
