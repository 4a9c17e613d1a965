"""Versioned drafting prompts: ``prompts/<name>.md`` = front matter + a system and a user section.

The file format (see ``prompts/draft_fr_v1.md``)::

    ---
    version: draft-fr-v1
    ---
    <!-- role: system -->
    …rules…
    <!-- role: user -->
    …{{question}} … {{category_line}} … {{passages}}…

Everything the user or the knowledge base supplies (question, passage text, titles) is data: it is
inserted in one substitution pass (never re-scanned for placeholders) and any text that could open or
close a ``<passage>`` / ``<question>`` block is neutralised first, so a passage cannot end its block
and smuggle instructions in as if they came from us.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.pipeline.injection import clean_passage
from assistant.pipeline.types import Passage

AUDIENCE_NAMES = {"private-sector": "secteur privé", "civil-service": "fonction publique"}
PLACEHOLDERS = frozenset({"question", "category_line", "passages"})
_NAME = re.compile(r"[a-z0-9_]+")
_FRONT_MATTER = re.compile(r"\A---\n(?P<meta>.*?)\n---\n", re.DOTALL)
_SECTIONS = re.compile(
    r"^<!-- role: system -->\n(?P<system>.*)^<!-- role: user -->\n(?P<user>.*)\Z", re.M | re.S
)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# The "<" of anything that looks like one of our block tags, in any case or spacing: "</passage>",
# "< / Passage >", "<question n=…", even without a closing ">".
_BLOCK_TAG_START = re.compile(r"<(?=\s*/?\s*(?:passage|question)\b)", re.IGNORECASE)


@dataclass(frozen=True)
class DraftPrompt:
    """A loaded prompt; ``version`` is recorded with every draft so releases can be compared."""

    name: str
    version: str
    system: str
    user_template: str

    def messages(
        self, question: str, passages: Sequence[Passage], category: str | None = None
    ) -> list[BaseMessage]:
        values = {
            "question": neutralise(question.strip()),
            "category_line": f"Thème indiqué par l'agent : {neutralise(category)}\n" if category else "",
            # What a passage says to the tool is left out: the model reads sources, not orders.
            "passages": "\n\n".join(render_passage(clean_passage(p)) for p in passages)
            or "(aucun passage fourni)",
        }
        user = _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.user_template)
        return [SystemMessage(content=self.system), HumanMessage(content=user)]


def neutralise(text: str) -> str:
    """Make block tags inside data inert (``</passage>`` → ``&lt;/passage>``), keeping the text readable."""
    return _BLOCK_TAG_START.sub("&lt;", text)


def render_passage(passage: Passage) -> str:
    attrs = {"n": str(passage.n), "titre": passage.title, "date": passage.updated}
    if passage.audience in AUDIENCE_NAMES:
        attrs["public"] = AUDIENCE_NAMES[passage.audience]
    if passage.heading_path:
        attrs["section"] = " › ".join(passage.heading_path)
    # quote=True also escapes '"', so a title cannot end its attribute either.
    rendered = " ".join(f'{key}="{html.escape(value, quote=True)}"' for key, value in attrs.items())
    return f"<passage {rendered}>\n{neutralise(passage.text.strip())}\n</passage>"


@lru_cache(maxsize=8)
def load_prompt(name: str = "draft_fr_v2") -> DraftPrompt:
    """Read and validate ``prompts/<name>.md``; raises ``ValueError`` on a malformed file."""
    if not _NAME.fullmatch(name):  # the name becomes a file name: no paths
        raise ValueError(f"invalid prompt name {name!r}")
    source = resources.files(__package__).joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")
    return parse_prompt(name, source)


def parse_prompt(name: str, source: str) -> DraftPrompt:
    front = _FRONT_MATTER.match(source)
    if front is None:
        raise ValueError(f"prompt {name}: missing '---' front matter")
    meta = dict(
        (key.strip(), value.strip())
        for key, sep, value in (line.partition(":") for line in front["meta"].splitlines())
        if sep
    )
    if not meta.get("version"):
        raise ValueError(f"prompt {name}: no 'version:' line in the front matter")
    sections = _SECTIONS.search(source, front.end())
    if sections is None:
        raise ValueError(f"prompt {name}: needs '<!-- role: system -->' then '<!-- role: user -->'")
    user = sections["user"].strip() + "\n"
    found = set(_PLACEHOLDER.findall(user))
    if found != PLACEHOLDERS:  # a typo would otherwise leave "{{questoin}}" in what the model reads
        raise ValueError(f"prompt {name}: placeholders {sorted(found)}, expected {sorted(PLACEHOLDERS)}")
    return DraftPrompt(
        name=name, version=meta["version"], system=sections["system"].strip(), user_template=user
    )
