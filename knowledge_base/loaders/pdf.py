"""PDF sources (conventions collectives, notes de service) read page by page with pypdf.

A damaged page costs that page only; an unreadable or locked file is reported and skipped.
PDFs carry no heading markup, so bare heading lines are promoted for the splitter.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from knowledge_base.documents import Document
from knowledge_base.loaders.base import LoadIssue, LoadResult, slug_id
from knowledge_base.normalise import normalise_text, promote_bare_headings


def _title(reader: PdfReader) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # pypdf may fail on a malformed /Info dictionary; metadata is optional
        return None
    if not isinstance(title, str):
        return None
    return normalise_text(title) or None


def _updated(reader: PdfReader) -> str | None:
    try:
        modified = reader.metadata.modification_date if reader.metadata else None
    except Exception:  # a badly formatted /ModDate raises; the date is optional
        return None
    return modified.date().isoformat() if modified else None


def _page_texts(reader: PdfReader, result: LoadResult, origin: str) -> list[str]:
    texts = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(normalise_text(page.extract_text() or ""))
        except Exception as exc:  # pypdf raises many types on broken content streams
            result.issues.append(LoadIssue(origin, f"page {number}", f"text extraction failed: {exc}"))
    return texts


def load_pdf(path: Path) -> LoadResult:
    result = LoadResult()
    origin = str(path)
    try:
        reader = PdfReader(path)
        # Many official PDFs are "encrypted" with an empty user password (copy/print restrictions only).
        if reader.is_encrypted and not reader.decrypt(""):
            result.issues.append(LoadIssue(origin, "-", "encrypted PDF (a password is required)"))
            return result
        texts = _page_texts(reader, result, origin)
    except Exception as exc:  # PdfReadError, DependencyError (AES), OSError, or garbage bytes
        result.issues.append(LoadIssue(origin, "-", f"unreadable PDF: {exc}"))
        return result
    text = "\n\n".join(t for t in texts if t)
    if not text:
        result.issues.append(LoadIssue(origin, "-", "no extractable text (scanned PDF?)"))
        return result
    result.documents.append(
        Document(
            id=f"pdf:{slug_id(path.stem)}",
            title=_title(reader) or path.stem,
            text=promote_bare_headings(text),
            source="pdf",
            updated=_updated(reader),
            origin_file=origin,
        )
    )
    return result
