"""Text normalisation shared by every loader: one Unicode form, tidy spaces, explicit headings.

Sources disagree on how they mark sections: Markdown sources use ``## ``, the service-public
extraction leaves headings as bare short lines. The splitter only understands ``#`` headings,
so bare headings are promoted here, once, with a conservative rule.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u202f\u2007]+")
_SPACE_BEFORE_POINT = re.compile(r" +([.,)])")
_SPACE_AFTER_PAREN = re.compile(r"\( +")
_MANY_BLANKS = re.compile(r"\n{3,}")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_TERMINAL = (".", ";", ",", ":", "…", "»", '"')
MAX_BARE_HEADING_WORDS = 12


def normalise_text(text: str) -> str:
    """NFC, one kind of space, no stray spaces before points, at most one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line).strip()
        line = _SPACE_BEFORE_POINT.sub(r"\1", line)
        lines.append(_SPACE_AFTER_PAREN.sub("(", line))
    return _MANY_BLANKS.sub("\n\n", "\n".join(lines)).strip()


def looks_like_bare_heading(line: str, next_line: str | None) -> bool:
    """A short capitalised line with no sentence ending, followed by body text."""
    if not line or not next_line or line.startswith(("-", "*", "•", "#")):
        return False
    if len(line.split()) > MAX_BARE_HEADING_WORDS or line.endswith(_TERMINAL):
        return False
    first = line[0]
    return first.isupper() or (first.isdigit() and not line[:4].isdigit())


def promote_bare_headings(text: str, level: int = 2) -> str:
    """Turn bare heading lines into Markdown headings so the splitter can see them."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        nxt = next((n for n in lines[i + 1 :] if n.strip()), None)
        if _MD_HEADING.match(line) is None and looks_like_bare_heading(line, nxt):
            out.append(f"{'#' * level} {line}")
        else:
            out.append(line)
    return "\n".join(out)


def parse_heading(line: str) -> tuple[int, str] | None:
    m = _MD_HEADING.match(line)
    return (len(m.group(1)), m.group(2).strip()) if m else None
