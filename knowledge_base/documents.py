"""The two value types every ingestion step passes along: a source document and one of its chunks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

Audience = Literal["private-sector", "civil-service", "all"]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Document:
    """A normalised source document, whatever format it came from."""

    id: str
    title: str
    text: str
    source: str
    url: str | None = None
    license: str | None = None
    updated: str | None = None  # ISO date (YYYY-MM-DD) when the source gives one
    audience: Audience = "all"
    origin_file: str = ""

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in a chunk: a change here means re-chunk and re-embed."""
        parts = [
            self.id,
            self.title,
            self.text,
            self.source,
            self.url or "",
            self.license or "",
            self.updated or "",
            self.audience,
        ]
        return sha256_text("\x1f".join(parts))


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, sized for embedding, carrying what a citation needs."""

    id: str
    doc_id: str
    index: int
    text: str
    heading_path: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def embed_text(self) -> str:
        """The text the embedders and BM25 see: title and heading path situate the passage."""
        title = self.metadata.get("title", "")
        head = " > ".join(h for h in self.heading_path if h and h != title)
        prefix = f"{title} — {head}" if head else title
        return f"{prefix}\n{self.text}" if prefix else self.text

    @property
    def content_hash(self) -> str:
        return sha256_text(self.embed_text)
