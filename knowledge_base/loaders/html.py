"""HTML pages (saved service-public, legifrance or intranet pages) turned into Markdown-ish text.

Only the reading content is kept: navigation, banners and scripts would pollute every chunk.
Headings become ``#`` lines so the splitter can cut sections as it does for Markdown sources.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from knowledge_base.documents import Document
from knowledge_base.loaders.base import LoadIssue, LoadResult, iso_date, slug_id
from knowledge_base.normalise import normalise_text

DROPPED_TAGS = ("script", "style", "nav", "header", "footer", "aside", "noscript", "template", "head")
HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
TEXT_BLOCKS = frozenset({"p", "pre", "dt", "dd", "caption", "figcaption", "summary", "address", "h5", "h6"})
INLINE_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "i",
        "ins",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "wbr",
        "font",
    }
)
DATE_META_NAMES = ("dcterms.modified", "last-modified", "date")  # in order of preference
# cp1252 before latin-1: French Windows files use its ’ œ … which latin-1 would turn into control codes.
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("latin-1", data, 0, len(data), "undecodable")  # unreachable: latin-1 decodes all


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _title(soup: BeautifulSoup) -> str | None:
    for tag in (soup.find("title"), soup.find("h1")):
        if isinstance(tag, Tag) and (text := _collapse(tag.get_text())):
            return text
    return None


def _canonical_url(soup: BeautifulSoup) -> str | None:
    link = soup.find("link", rel="canonical")  # rel is multi-valued; bs4 matches any of its values
    href = link.get("href") if isinstance(link, Tag) else None
    if not isinstance(href, str):
        return None
    return href.strip() or None


def _updated(soup: BeautifulSoup) -> str | None:
    found: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        name, content = meta.get("name"), meta.get("content")
        if isinstance(name, str) and isinstance(content, str):
            found.setdefault(name.strip().lower(), content)
    return next((d for n in DATE_META_NAMES if (d := iso_date(found.get(n))) is not None), None)


def _flush(inline: list[str]) -> Iterator[str]:
    text = _collapse("".join(inline))
    inline.clear()
    if text:
        yield text


def _blocks(node: Tag) -> Iterator[str]:
    """Lines of a container: runs of inline content become one line, block children their own."""
    inline: list[str] = []
    for child in node.children:
        if isinstance(child, Tag) and child.name not in INLINE_TAGS:
            yield from _flush(inline)
            yield from _block(child)
        elif isinstance(child, Tag):
            inline.append(child.get_text())
        elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
            inline.append(str(child))  # PreformattedString covers comments, doctypes, CDATA
    yield from _flush(inline)


def _list_item(item: Tag) -> Iterator[str]:
    own: list[str] = []
    nested: list[Tag] = []
    for child in item.children:
        if isinstance(child, Tag) and child.name in ("ul", "ol"):
            nested.append(child)
        elif not isinstance(child, PreformattedString):
            own.append(child.get_text())
    if text := _collapse("".join(own)):
        yield f"- {text}"
    for sublist in nested:  # sub-items follow their parent instead of being glued into its line
        yield from _blocks(sublist)


def _table(table: Tag) -> Iterator[str]:
    if isinstance(caption := table.find("caption"), Tag) and (text := _collapse(caption.get_text())):
        yield text
    for row in table.find_all("tr"):
        cells = [_collapse(cell.get_text()) for cell in row.find_all(("th", "td"))]
        if any(cells):
            yield " | ".join(cells)


def _block(tag: Tag) -> Iterator[str]:
    text = _collapse(tag.get_text()) if tag.name in HEADING_LEVELS or tag.name in TEXT_BLOCKS else ""
    if tag.name in HEADING_LEVELS:
        yield from ([f"{'#' * HEADING_LEVELS[tag.name]} {text}"] if text else [])
    elif tag.name in TEXT_BLOCKS:
        yield from ([text] if text else [])
    elif tag.name == "li":
        yield from _list_item(tag)
    elif tag.name == "table":
        yield from _table(tag)
    else:
        yield from _blocks(tag)


def html_to_text(soup: BeautifulSoup) -> str:
    """Markdown-ish text of the reading content; mutates ``soup`` (drops the chrome)."""
    for tag in soup.find_all(list(DROPPED_TAGS)):
        if not tag.decomposed:  # a <nav> inside a dropped <header> is already gone
            tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(" ")  # otherwise the words either side of a <br> are glued together
    root = soup.body if soup.body is not None else soup
    return normalise_text("\n".join(_blocks(root)))


def load_html(path: Path) -> LoadResult:
    result = LoadResult()
    try:
        soup = BeautifulSoup(_decode(path.read_bytes()), "html.parser")
    except (OSError, UnicodeDecodeError) as exc:
        result.issues.append(LoadIssue(str(path), "-", f"unreadable file: {exc}"))
        return result
    title, url, updated = _title(soup), _canonical_url(soup), _updated(soup)
    text = html_to_text(soup)
    if not text:
        result.issues.append(LoadIssue(str(path), "-", "no text content"))
        return result
    result.documents.append(
        Document(
            id=f"html:{slug_id(path.stem)}",
            title=normalise_text(title or path.stem),
            text=text,
            source="html",
            url=url,
            updated=updated,
            origin_file=str(path),
        )
    )
    return result
