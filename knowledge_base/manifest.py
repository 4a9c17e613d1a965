"""The manifest: document id → content hash → chunk ids. Its hash is the ``kb_version``.

Re-ingestion compares the new manifest with the live one to touch only what changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DocEntry:
    content_hash: str
    chunk_ids: list[str]
    title: str
    origin_file: str


@dataclass(frozen=True)
class ManifestDiff:
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]

    @property
    def touched(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)


@dataclass
class Manifest:
    documents: dict[str, DocEntry] = field(default_factory=dict)
    # Everything else that changes what the index returns: chunking, analyzers, embedders.
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def kb_version(self) -> str:
        body = {
            "documents": {k: [v.content_hash, v.chunk_ids] for k, v in sorted(self.documents.items())},
            "config": self.config,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]

    def diff(self, previous: Manifest | None) -> ManifestDiff:
        old = previous.documents if previous else {}
        added = sorted(k for k in self.documents if k not in old)
        removed = sorted(k for k in old if k not in self.documents)
        common = [k for k in self.documents if k in old]
        changed = sorted(k for k in common if old[k].content_hash != self.documents[k].content_hash)
        unchanged = sorted(k for k in common if old[k].content_hash == self.documents[k].content_hash)
        return ManifestDiff(added, changed, removed, unchanged)

    def to_json(self) -> str:
        return json.dumps(
            {
                "kb_version": self.kb_version,
                "config": self.config,
                "documents": {k: asdict(v) for k, v in sorted(self.documents.items())},
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def load(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({k: DocEntry(**v) for k, v in data["documents"].items()}, data.get("config", {}))
