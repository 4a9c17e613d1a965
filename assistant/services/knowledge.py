"""Owns the live index for the app: opens it, builds it on first start, follows re-ingests."""

from __future__ import annotations

import logging
import threading

from assistant.errors import IndexUnavailableError
from assistant.settings import Settings
from feedback.db import make_engine
from knowledge_base.embedders import make_embedder
from knowledge_base.embeddings import OfflineEmbeddings
from knowledge_base.index import IndexNotReadyError, KnowledgeIndex
from knowledge_base.index_store import IndexLayout
from knowledge_base.ingest import ingest, ingest_shared
from knowledge_base.retriever import HybridRetriever
from knowledge_base.search import HybridSearcher, SearchFilters
from knowledge_base.shared_store import SharedKb, SharedStoreError

log = logging.getLogger(__name__)


class KnowledgeService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._layout = IndexLayout(settings.kb.index_dir)
        self._lock = threading.Lock()
        self._searcher: HybridSearcher | None = None
        self._build_id: str | None = None
        self._files: dict[str, tuple[int, int]] = {}  # the open build's files: (size, mtime_ns)
        self._shared = (
            SharedKb(make_engine(settings.database_url, settings.feedback.lock_timeout_s), settings.kb)
            if settings.kb.store == "database"
            else None
        )
        self._follow_error: str | None = None
        self._stopping = threading.Event()
        # Models are loaded once and reused across index reloads.
        self._embedders: dict[str, OfflineEmbeddings] = {
            name: make_embedder(name, settings.kb.embeddings) for name in settings.kb.embeddings.models
        }

    def start(self) -> None:
        """Build the index if there is none (shipped vectors make this take seconds), then open it.
        With the shared store: the live build comes from the database (built and published here
        only if the database has none), and a thread follows the pointer from then on."""
        if self._shared is not None:
            self._follow_once()
            if self._shared.pointer() is None and self.settings.build_index_on_start:
                log.info("no KB build in the shared store: building and publishing one")
                ingest_shared(self._shared)
            self._start_follower()
        elif self._layout.current() is None and self.settings.build_index_on_start:
            log.info("no index yet: building it from %s", [str(p) for p in self.settings.kb.sources])
            ingest(self.settings.kb)
        for embedder in self._embedders.values():
            embedder.warm()  # every instance of every model, before the first request
        try:
            self.searcher().search("congés payés")  # warm-up: opens the index before the first request
        except IndexUnavailableError:
            log.warning("index not ready; readiness will report it")

    def stop(self) -> None:
        self._stopping.set()

    # -- the shared store: follow the kb_version pointer ----------------------------------------
    def _follow_once(self) -> None:
        assert self._shared is not None
        try:
            self._shared.follow()
            self._follow_error = None
        except SharedStoreError as exc:  # a corrupt or missing build: its own words
            self._follow_error = str(exc)[:200]
            log.warning("could not follow the shared KB store: %s", exc)
        except Exception as exc:  # store or Chroma unreachable: readiness says so (class only: a
            # driver's message may carry connection details)
            self._follow_error = type(exc).__name__
            log.warning("could not follow the shared KB store (%s)", type(exc).__name__)

    def _start_follower(self) -> None:
        def loop() -> None:
            while not self._stopping.wait(self.settings.kb.follow_interval_s):
                self._follow_once()

        threading.Thread(target=loop, name="kb-follower", daemon=True).start()

    def follow_now(self) -> None:
        """Check the pointer now (tests, `hra kb status`): what the follower thread does every
        ``follow_interval_s``."""
        if self._shared is not None:
            self._follow_once()

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
        reload fails. Readiness says so now (a stat per file: cheap enough for every probe). With a
        Chroma server: whether it answers; with the shared store: whether the pointer was followed."""
        if self._follow_error is not None:
            return (
                f"the shared KB store could not be followed ({self._follow_error}) / le pointeur de la "
                "base de connaissances partagée n'a pas pu être suivi"
            )
        if self.settings.kb.chroma.url and self._searcher is not None:
            try:
                for dense in self._searcher.index.dense:
                    dense.collection.count()  # one cheap request to the server
            except Exception as exc:
                return (
                    f"Chroma server {self.settings.kb.chroma.url} not answering ({type(exc).__name__}) / "
                    "le serveur Chroma ne répond pas"
                )
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
