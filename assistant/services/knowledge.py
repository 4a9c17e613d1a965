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
        # Models are loaded once and reused across index reloads.
        self._embedders: dict[str, OfflineEmbeddings] = {
            name: make_embedder(name, settings.kb.embeddings) for name in settings.kb.embeddings.models
        }

    def start(self) -> None:
        """Build the index if there is none (shipped vectors make this take seconds), then open it."""
        if self._layout.current() is None and self.settings.build_index_on_start:
            log.info("no index yet: building it from %s", [str(p) for p in self.settings.kb.sources])
            ingest(self.settings.kb)
        try:
            self.searcher().search("congés payés")  # warm-up: loads the models before the first request
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
            return self._searcher

    def retriever(self, filters: SearchFilters | None = None, top_k: int | None = None) -> HybridRetriever:
        return HybridRetriever(searcher=self.searcher(), filters=filters, top_k=top_k)
