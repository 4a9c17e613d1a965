"""The shared KB store: the live build's texts and manifest in the database, so replicas on other
machines need no copied file.

    kb_builds   build_id, kb_version, created_at, manifest (JSON), chunks (gzip JSONL), report (JSON)
    kb_pointer  one row per name ('live'): build_id, kb_version, published_at — *the* kb_version

Whoever ingests (a replica, or a one-off job) builds in its own working copy as before, then
``publish`` copies the build into the database and moves the pointer in one transaction. Every
replica ``follow``s the pointer: a build it does not have yet is *materialised* — manifest and
chunks written from the database, BM25 rebuilt from the chunks — into its own ``index_dir``, whose
CURRENT pointer the app already follows. The vectors are in the Chroma server both read.

The local folder is a cache: delete it and the replica rebuilds it from the stores on start.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from knowledge_base.index_store import IndexLayout, read_chunks
from knowledge_base.settings import KnowledgeBaseSettings

log = logging.getLogger(__name__)

metadata = sa.MetaData()
kb_builds = sa.Table(
    "kb_builds",
    metadata,
    sa.Column("build_id", sa.String(40), primary_key=True),
    sa.Column("kb_version", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("manifest", sa.Text, nullable=False),
    sa.Column("chunks", sa.LargeBinary, nullable=False),
    sa.Column("chunks_sha256", sa.String(64), nullable=False),
    sa.Column("report", sa.Text, nullable=True),
)
kb_pointer = sa.Table(
    "kb_pointer",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("build_id", sa.String(40), nullable=False),
    sa.Column("kb_version", sa.String(16), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
)
LIVE = "live"
KEEP_BUILDS = 2  # the live build and the one before it (a replica still on it can finish)
_INGEST_LOCK_KEY = 7243002  # PostgreSQL advisory lock: one ingest at a time across machines


class SharedStoreError(Exception):
    """The shared store holds no usable build (or a corrupt one)."""


@dataclass(frozen=True)
class Pointer:
    build_id: str
    kb_version: str
    published_at: datetime


class SharedKb:
    def __init__(self, engine: Engine, settings: KnowledgeBaseSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.layout = IndexLayout(settings.index_dir)

    # -- the pointer -------------------------------------------------------------------------
    def pointer(self) -> Pointer | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(kb_pointer.c.build_id, kb_pointer.c.kb_version, kb_pointer.c.published_at).where(
                    kb_pointer.c.name == LIVE
                )
            ).first()
        return Pointer(row[0], row[1], row[2]) if row else None

    # -- publishing (whoever ingested) -------------------------------------------------------
    def publish(self, build_id: str) -> Pointer:
        """Copy a complete local build into the database and make it the live one."""
        build = self.layout.build_dir(build_id)
        manifest_path = build / "manifest.json"
        if not manifest_path.exists():
            raise SharedStoreError(f"build {build_id} is not complete in {self.layout.root}")
        manifest = manifest_path.read_text(encoding="utf-8")
        kb_version = json.loads(manifest)["kb_version"]
        chunks = gzip.compress((build / "chunks.jsonl").read_bytes(), compresslevel=6)
        report_path = build / "report.json"
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            exists = conn.execute(
                sa.select(kb_builds.c.build_id).where(kb_builds.c.build_id == build_id)
            ).first()
            if not exists:
                conn.execute(
                    kb_builds.insert().values(
                        build_id=build_id,
                        kb_version=kb_version,
                        created_at=now,
                        manifest=manifest,
                        chunks=chunks,
                        chunks_sha256=hashlib.sha256(chunks).hexdigest(),
                        report=report_path.read_text(encoding="utf-8") if report_path.exists() else None,
                    )
                )
            values = {"build_id": build_id, "kb_version": kb_version, "published_at": now}
            moved = conn.execute(kb_pointer.update().where(kb_pointer.c.name == LIVE).values(**values))
            if moved.rowcount == 0:
                conn.execute(kb_pointer.insert().values(name=LIVE, **values))
            keep = [
                r[0]
                for r in conn.execute(
                    sa.select(kb_builds.c.build_id).order_by(kb_builds.c.created_at.desc()).limit(KEEP_BUILDS)
                )
            ]
            conn.execute(kb_builds.delete().where(kb_builds.c.build_id.not_in([*keep, build_id])))
        log.info("published KB build %s (kb_version %s)", build_id, kb_version)
        return Pointer(build_id, kb_version, now)

    # -- following (every replica) -----------------------------------------------------------
    def follow(self) -> bool:
        """Make the local working copy serve the live build; True when it changed."""
        live = self.pointer()
        if live is None:
            return False
        current = self.layout.current()
        if current is not None and current["build_id"] == live.build_id:
            return False
        self.materialise(live.build_id)
        return True

    def materialise(self, build_id: str) -> None:
        """Write a published build into the local index_dir (BM25 rebuilt) and point CURRENT at it."""
        from knowledge_base.ingest import write_bm25  # ingest imports this module

        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    kb_builds.c.kb_version,
                    kb_builds.c.manifest,
                    kb_builds.c.chunks,
                    kb_builds.c.chunks_sha256,
                    kb_builds.c.report,
                ).where(kb_builds.c.build_id == build_id)
            ).first()
        if row is None:
            raise SharedStoreError(f"build {build_id} is not in the shared store")
        kb_version, manifest, chunks_gz, digest, report = row
        if hashlib.sha256(chunks_gz).hexdigest() != digest:
            raise SharedStoreError(f"build {build_id}: chunks do not match their hash in the shared store")
        final = self.layout.build_dir(build_id)
        if not (final / "manifest.json").exists():
            tmp = self.layout.builds / f".{build_id}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                (tmp / "chunks.jsonl").write_bytes(gzip.decompress(chunks_gz))
                write_bm25(tmp, list(read_chunks(tmp / "chunks.jsonl")), self.settings.bm25)
                if report:
                    (tmp / "report.json").write_text(report, encoding="utf-8")
                (tmp / "manifest.json").write_text(manifest, encoding="utf-8")  # last: marks it complete
                if not (final / "manifest.json").exists():
                    shutil.rmtree(final, ignore_errors=True)  # a crashed attempt's leftovers
                try:
                    os.replace(tmp, final)
                except OSError:  # another worker of this replica finished it first: keep theirs
                    shutil.rmtree(tmp, ignore_errors=True)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        self.layout.swap(build_id, kb_version)
        if report:
            self.layout.last_report.write_text(report, encoding="utf-8")
        self.layout.prune({build_id} | self._recent_local(keep=1))
        log.info("following KB build %s (kb_version %s)", build_id, kb_version)

    def _recent_local(self, keep: int) -> set[str]:
        """The newest local builds besides the live one: a searcher opened on them may still read."""
        if not self.layout.builds.exists():
            return set()
        names = sorted(
            (p for p in self.layout.builds.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime
        )
        return {p.name for p in names[-keep - 1 :]}

    # -- one ingest at a time ----------------------------------------------------------------
    @contextlib.contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """Held for a whole ingest: two ingests would each delete the other's new vectors.
        PostgreSQL: a session advisory lock (any machine). SQLite (one machine by nature): a file
        lock beside the database file."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _INGEST_LOCK_KEY})
                try:
                    yield
                finally:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _INGEST_LOCK_KEY})
                    conn.commit()
            return
        database = self.engine.url.database
        path = Path(f"{database}.kb-ingest.lock") if database and database != ":memory:" else None
        if path is None:
            yield
            return
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
