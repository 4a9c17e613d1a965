"""Load every supported source file under the given paths into documents, reporting what was skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from knowledge_base.loaders.base import LoadIssue, LoadResult
from knowledge_base.loaders.html import load_html
from knowledge_base.loaders.jsonl import load_jsonl
from knowledge_base.loaders.markdown import load_markdown
from knowledge_base.loaders.pdf import load_pdf

Loader = Callable[[Path], LoadResult]

LOADERS: dict[str, Loader] = {
    ".jsonl": load_jsonl,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}
# Files that describe a source folder rather than belong to it.
SKIPPED_STEMS = ("README", "LICENCE", "LICENSE", "DATASHEET", "SYNC")
SKIPPED_DIRS = ("vectors",)  # embedding caches stored next to the sources

__all__ = ["LOADERS", "LoadIssue", "LoadResult", "load_file", "load_paths"]


def _skipped(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    if any(p.startswith(".") for p in parts) or any(p in SKIPPED_DIRS for p in parts[:-1]):
        return True
    return path.stem.upper().startswith(SKIPPED_STEMS)


def _files(path: Path) -> Iterator[Path]:
    """A file as given, or a directory's files in a stable order, minus the ones skipped by name."""
    if not path.is_dir():
        yield path
        return
    for file in sorted(path.rglob("*")):
        if file.is_file() and not _skipped(file, path):
            yield file


def load_file(path: Path) -> LoadResult:
    """One file through its loader; never raises, whatever the file contains."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        reason = f"unsupported file type {path.suffix or '(none)'} (supported: {', '.join(LOADERS)})"
        return LoadResult(issues=[LoadIssue(str(path), "-", reason)])
    try:
        return loader(path)
    except Exception as exc:  # last resort: a loader bug must not stop the whole ingest
        return LoadResult(issues=[LoadIssue(str(path), "-", f"loader failed: {type(exc).__name__}: {exc}")])


def _drop_duplicate_ids(result: LoadResult) -> LoadResult:
    """Keep the first document per id: a second one would silently overwrite it in the index."""
    kept = LoadResult(issues=list(result.issues))
    first_file: dict[str, str] = {}
    for doc in result.documents:
        if doc.id in first_file:
            reason = f"duplicate document id {doc.id} (already loaded from {first_file[doc.id]}); skipped"
            kept.issues.append(LoadIssue(doc.origin_file, "-", reason))
            continue
        first_file[doc.id] = doc.origin_file
        kept.documents.append(doc)
    return kept


def load_paths(paths: Iterable[Path]) -> LoadResult:
    result = LoadResult()
    seen: set[Path] = set()  # a file named twice (or a file and its folder) is read once
    for given in map(Path, paths):
        if not given.exists():
            result.issues.append(LoadIssue(str(given), "-", "no such file or directory"))
            continue
        for file in _files(given):
            if (resolved := file.resolve()) not in seen:
                seen.add(resolved)
                result.extend(load_file(file))
    return _drop_duplicate_ids(result)
