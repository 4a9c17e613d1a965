"""Owns the live index for the app: opens it, builds it on first start, follows re-ingests."""

from __future__ import annotations

import logging
import threading

from assistant.errors import IndexUnavailableError
from assistant.settings import Settings
from knowledge_base.embedders import make_embedder
from knowledge_base.embeddings import OfflineEmbeddings
from knowledge_base.index import IndexNotReadyError, KnowledgeIndex
from knowledge_base.index_store import IndexLayout
from knowledge_base.ingest import ingest
from knowledge_base.retriever import HybridRetriever
from knowledge_base.search import HybridSearcher, SearchFilters

log = logging.getLogger(__name__)


class KnowledgeService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._layout = IndexLayout(settings.kb.index_dir)
        self._lock = threading.Lock()
        self._searcher: HybridSearcher | None = None
        self._build_id: str | None = None
        self._files: dict[str, tuple[int, int]] = {}  # the open build's files: (size, mtime_ns)
        # Models are loaded once and reused across index reloads.
        self._embedders: dict[str, OfflineEmbeddings] = {
            name: make_embedder(name, settings.kb.embeddings) for name in settings.kb.embeddings.models
        }

    def start(self) -> None:
        """Build the index if there is none (shipped vectors make this take seconds), then open it."""
        if self._layout.current() is None and self.settings.build_index_on_start:
            log.info("no index yet: building it from %s", [str(p) for p in self.settings.kb.sources])
            ingest(self.settings.kb)
        for embedder in self._embedders.values():
            embedder.warm()  # every instance of every model, before the first request
        try:
            self.searcher().search("congés payés")  # warm-up: opens the index before the first request
        except IndexUnavailableError:
            log.warning("index not ready; readiness will report it")

    def searcher(self) -> HybridSearcher:
        current = self._layout.current()
        if current is None:
            raise IndexUnavailableError("the knowledge base index is not built yet (run `hra kb ingest`)")
        with self._lock:
            if self._searcher is None or current["build_id"] != self._build_id:
                try:
                    index = KnowledgeIndex.open(self.settings.kb, self._embedders)
                except IndexNotReadyError as exc:
                    raise IndexUnavailableError(str(exc)) from exc
                self._searcher = HybridSearcher(index, self.settings.retrieval)
                self._build_id = current["build_id"]
                self._files = self._fingerprint(current["build_id"])
            return self._searcher

    def retriever(self, filters: SearchFilters | None = None, top_k: int | None = None) -> HybridRetriever:
        return HybridRetriever(searcher=self.searcher(), filters=filters, top_k=top_k)

    def integrity_problem(self) -> str | None:
        """Why the open index can no longer be trusted, or None. The server serves from memory, so a
        build whose files changed or vanished on disk still answers — until the next restart or
        reload fails. Readiness says so now (a stat per file: cheap enough for every probe)."""
        if self._build_id is None:
            return None
        now = self._fingerprint(self._build_id)
        changed = sorted(n for n in self._files.keys() | now.keys() if self._files.get(n) != now.get(n))
        if changed:
            return (
                f"index files changed on disk since they were opened: {', '.join(changed[:5])} — run "
                "`hra kb ingest` / les fichiers de l'index ont changé : relancer l'ingestion"
            )
        return None

    def _fingerprint(self, build_id: str) -> dict[str, tuple[int, int]]:
        root = self._layout.build_dir(build_id)
        if not root.is_dir():
            return {}
        # Not the freshness memo kb status writes beside the build (freshness-*.json): a cache
        # derived from the index, rewritten daily, whose writing must not make the server unready.
        return {
            str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")
            if p.is_file() and not p.name.startswith("freshness-")
        }
