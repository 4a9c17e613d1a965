"""Split documents on headings first, then by size, keeping the heading path on each chunk.

Sizes are counted in words (the embedders truncate around 512 tokens ≈ 350 French words).
Sections smaller than the minimum are packed with their neighbours so that a page made of
many tiny sections does not become dozens of context-free snippets; a section larger than the
maximum is cut at paragraph, then sentence, boundaries with a small overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from knowledge_base.documents import Chunk, Document
from knowledge_base.normalise import parse_heading
from knowledge_base.settings import ChunkingSettings

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ0-9«\"(])")


@dataclass
class _Section:
    path: tuple[str, ...]
    paragraphs: list[str]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def _sections(text: str) -> list[_Section]:
    sections: list[_Section] = []
    path: list[tuple[int, str]] = []
    current = _Section((), [])
    for block in re.split(r"\n", text):
        heading = parse_heading(block)
        if heading:
            if current.paragraphs:
                sections.append(current)
            level, title = heading
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
            current = _Section(tuple(t for _, t in path), [])
        elif block.strip():
            current.paragraphs.append(block.strip())
    if current.paragraphs:
        sections.append(current)
    return sections


def _split_long_paragraph(paragraph: str, max_words: int) -> list[str]:
    """Cut a paragraph longer than the maximum at sentence ends (or, failing that, at words)."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        words = sentence.split()
        while len(words) > max_words:
            pieces.append(" ".join(words[:max_words]))
            words = words[max_words:]
        if words:
            pieces.append(" ".join(words))
    return pieces


def _windows(units: list[str], sizes: ChunkingSettings) -> list[list[str]]:
    """Greedy packing of text units into windows of at most max_words, with a word overlap."""
    windows: list[list[str]] = []
    window: list[str] = []
    count = 0
    for unit in units:
        n = len(unit.split())
        if window and count + n > sizes.max_words:
            windows.append(window)
            tail = " ".join(" ".join(window).split()[-sizes.overlap_words :]) if sizes.overlap_words else ""
            window, count = ([f"… {tail}"], len(tail.split())) if tail else ([], 0)
        window.append(unit)
        count += n
    if window:
        windows.append(window)
    return windows


def split_document(doc: Document, sizes: ChunkingSettings | None = None) -> list[Chunk]:
    sizes = sizes or ChunkingSettings()
    groups: list[tuple[tuple[str, ...], list[str]]] = []  # (heading path of first section, paragraphs)
    pending_path: tuple[str, ...] | None = None
    pending: list[str] = []
    for section in _sections(doc.text):
        units = [u for p in section.paragraphs for u in _split_long_paragraph(p, sizes.max_words)]
        heading_line = [section.path[-1]] if section.path and pending else []
        if pending and sum(len(u.split()) for u in pending) + section.words > sizes.max_words:
            groups.append((pending_path or (), pending))
            pending, pending_path, heading_line = [], None, []
        if pending_path is None:
            pending_path = section.path
        pending.extend(heading_line + units)
        if sum(len(u.split()) for u in pending) >= sizes.min_words:
            groups.append((pending_path, pending))
            pending, pending_path = [], None
    if pending:
        groups.append((pending_path or (), pending))

    chunks: list[Chunk] = []
    meta = {
        "title": doc.title,
        "source": doc.source,
        "source_key": doc.id.split(":", 1)[0] if ":" in doc.id else "local",
        "url": doc.url or "",
        "license": doc.license or "",
        "updated": doc.updated or "",
        "audience": doc.audience,
        "doc_id": doc.id,
    }
    for path, units in groups:
        for window in _windows(units, sizes):
            i = len(chunks)
            chunk = Chunk(
                id="",
                doc_id=doc.id,
                index=i,
                text="\n".join(window),
                heading_path=path,
                metadata={**meta, "heading_path": " > ".join(path)},
            )
            # The content hash in the id lets old and new versions of a chunk coexist in the vector
            # store while an ingest is in flight (readers of the old build never see the new text).
            chunks.append(replace(chunk, id=f"{doc.id}#{i:03d}-{chunk.content_hash[:8]}"))
    return chunks
