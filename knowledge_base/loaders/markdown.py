"""Markdown sources, with optional YAML front matter carrying the document's metadata.

The body is kept as Markdown: the splitter cuts sections on its ``#`` headings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import yaml

from knowledge_base.documents import Audience, Document
from knowledge_base.loaders.base import LoadIssue, LoadResult, iso_date, slug_id
from knowledge_base.normalise import normalise_text, parse_heading

FENCE = "---"
FENCE_ENDS = ("---", "...")  # YAML allows "..." to close a document too
AUDIENCES: tuple[str, ...] = get_args(Audience)


class FrontMatterError(ValueError):
    """The front matter exists but cannot be trusted; the file is skipped rather than half-read."""


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front matter mapping, body); a file without a leading ``---`` has no front matter."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        return {}, text
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.rstrip() in FENCE_ENDS), None)
    if end is None:
        raise FrontMatterError("front matter opened with '---' but never closed")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"invalid YAML: {' '.join(str(exc).split())}") from exc
    if meta is None:  # an empty block is harmless
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError(f"front matter must be a mapping, got {type(meta).__name__}")
    return meta, "\n".join(lines[end + 1 :])


def _text_field(meta: dict[str, Any], *keys: str) -> str | None:
    """First non-empty value among ``keys``, as a string (YAML may hand back numbers or dates)."""
    for key in keys:
        value = meta.get(key)
        if value is not None and str(value).strip():
            return normalise_text(str(value))
    return None


def _audience(meta: dict[str, Any]) -> Audience:
    value = _text_field(meta, "audience") or "all"
    if value not in AUDIENCES:
        # A wrong audience would serve civil-service rules to private-sector questions: refuse it.
        raise FrontMatterError(f"audience must be one of {', '.join(AUDIENCES)}, got {value!r}")
    return value  # type: ignore[return-value]


def _first_h1(body: str) -> str | None:
    for line in body.split("\n"):
        heading = parse_heading(line)
        if heading and heading[0] == 1:
            return heading[1]
    return None


def markdown_to_document(text: str, path: Path) -> Document:
    """Build the document or raise FrontMatterError / ValueError with an operator-facing reason."""
    meta, raw_body = split_front_matter(text.lstrip("\ufeff"))
    body = normalise_text(raw_body)
    if not body:
        raise ValueError("empty body")
    audience = _audience(meta)
    return Document(
        id=_text_field(meta, "id") or f"md:{slug_id(path.stem)}",
        title=_text_field(meta, "title") or _first_h1(body) or path.stem,
        text=body,
        source=_text_field(meta, "source") or "markdown",
        url=_text_field(meta, "url"),
        license=_text_field(meta, "license", "licence"),
        updated=iso_date(meta.get("updated") or meta.get("date")),
        audience=audience,
        origin_file=str(path),
    )


def load_markdown(path: Path) -> LoadResult:
    result = LoadResult()
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        result.issues.append(LoadIssue(str(path), "-", f"unreadable file: {exc}"))
        return result
    try:
        result.documents.append(markdown_to_document(text, path))
    except FrontMatterError as exc:
        result.issues.append(LoadIssue(str(path), "front matter", str(exc)))
    except ValueError as exc:
        result.issues.append(LoadIssue(str(path), "-", str(exc)))
    return result
