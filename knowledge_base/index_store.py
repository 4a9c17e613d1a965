"""On-disk layout of the index and the atomic pointer to the live build.

    <index_dir>/CURRENT              {"build_id", "kb_version"} — replaced atomically (os.replace)
    <index_dir>/builds/<build_id>/   manifest.json, chunks.jsonl, bm25/, vectors-<model>.npy, report.json
    <index_dir>/chroma/              embedded Chroma data (unused when a Chroma server is configured)
    <index_dir>/embeddings.sqlite    embedding cache, shared by all builds
    <index_dir>/last_report.json     the latest ingest report, even when nothing changed

Readers only ever follow CURRENT, so an interrupted ingest leaves the previous index intact.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge_base.documents import Chunk

_pointers_read: dict[Path, tuple[tuple[int, int, int], dict[str, str]]] = {}


@dataclass(frozen=True)
class IndexLayout:
    root: Path

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    @property
    def chroma_dir(self) -> Path:
        return self.root / "chroma"

    @property
    def cache_path(self) -> Path:
        return self.root / "embeddings.sqlite"

    @property
    def last_report(self) -> Path:
        return self.root / "last_report.json"

    def read_last_report(self) -> dict[str, Any] | None:
        """The latest ingest report, or None before the first ingest."""
        if not self.last_report.exists():
            return None
        report: dict[str, Any] = json.loads(self.last_report.read_text(encoding="utf-8"))
        return report

    def build_dir(self, build_id: str) -> Path:
        return self.builds / build_id

    def current(self) -> dict[str, str] | None:
        try:
            # Read again only when the file changed: a draft asks several times, and the pointer is
            # replaced (a new inode, a new mtime), never written in place.
            st = os.stat(self.pointer)
            seen = (st.st_ino, st.st_mtime_ns, st.st_size)
            memo = _pointers_read.get(self.pointer)
            if memo is not None and memo[0] == seen:
                data = dict(memo[1])
            else:
                data = json.loads(self.pointer.read_text())
                _pointers_read[self.pointer] = (seen, dict(data))
        except (OSError, ValueError):
            return None
        return data if (self.build_dir(data.get("build_id", "")) / "manifest.json").exists() else None

    def swap(self, build_id: str, kb_version: str) -> None:
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(json.dumps({"build_id": build_id, "kb_version": kb_version}))
        os.replace(tmp, self.pointer)

    def prune(self, keep: set[str]) -> None:
        """Remove build folders other than ``keep`` (the live one, and the one just built)."""
        if self.builds.exists():
            for path in self.builds.iterdir():
                if path.name not in keep:
                    shutil.rmtree(path, ignore_errors=True)


def write_chunks(path: Path, chunks: Iterable[Chunk]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for c in chunks:
            out.write(
                json.dumps(
                    {
                        "id": c.id,
                        "doc_id": c.doc_id,
                        "index": c.index,
                        "text": c.text,
                        "heading_path": list(c.heading_path),
                        "metadata": c.metadata,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


def read_chunks(path: Path) -> Iterator[Chunk]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            d = json.loads(line)
            yield Chunk(
                id=d["id"],
                doc_id=d["doc_id"],
                index=d["index"],
                text=d["text"],
                heading_path=tuple(d["heading_path"]),
                metadata=d["metadata"],
            )
