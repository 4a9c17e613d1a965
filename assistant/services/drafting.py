"""The drafting pipeline: mask PII → retrieve → decide → draft → check → persist.

One generator (`run`) yields the events of a draft — passages first, then text chunks, then the
final record — so the JSON endpoint (which keeps only the final record) and the SSE endpoint
(which forwards everything) run exactly the same code.
"""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from assistant.errors import ConflictError, NotFoundError
from assistant.pipeline.checks import CheckedDraft, check_draft, normalise_citations
from assistant.pipeline.citations import cited_sentences
from assistant.pipeline.confidence import retrieval_signals
from assistant.pipeline.decide import Decision, decide
from assistant.pipeline.drafting.llm import LlmDrafter
from assistant.pipeline.drafting.offline import OfflineDrafter
from assistant.pipeline.drafting.style import LEVEL_REASONS, level_from_confidence, lower_level
from assistant.pipeline.freshness import newer_first_pairs, parse_updated
from assistant.pipeline.pii import mask_pii, unmask
from assistant.pipeline.router import RouterThresholds, RouterVerdict, default_router, router_text
from assistant.pipeline.topics import infer_topic
from assistant.pipeline.types import DrafterUnavailableError, DraftText, Passage
from assistant.release import release_settings_hash
from assistant.services.knowledge import KnowledgeService
from assistant.services.verified import Reuse, VerifiedAnswers, with_retrieved
from assistant.settings import Settings
from assistant.telemetry import Telemetry
from feedback.drafts import DraftStore
from feedback.models import DraftRecord
from knowledge_base.embeddings import OfflineEmbeddings
from knowledge_base.manifest import DocEntry
from knowledge_base.search import Hit, HybridSearcher, SearchFilters

log = logging.getLogger(__name__)
Category = Literal["private-sector", "civil-service"]
Arm = Literal["assisted", "control"]


@dataclass(frozen=True)
class DraftRequest:
    question: str
    category: Category | None = None
    topic: str | None = None
    regenerate_of: str | None = None  # the draft the agent asked to replace ("Régénérer")
    arm: Arm | None = None  # None: drawn at random; set only by internal callers (benches, evals)
    # The owner: the pseudonym of the authenticated subject (set by the route from the credential,
    # never from the body). None only for internal callers (benches, evals): no owner, no check.
    agent: str | None = None
    # « Proposer quand même »: the abstained draft the agent asked a draft for despite low coverage.
    force_draft_of: str | None = None


# The decision of a draft the agent asked for after an abstention, and the level it always gets.
FORCED_REASON = "Brouillon demandé malgré une couverture insuffisante : à vérifier entièrement."
FORCED_LEVEL_REASON = (
    "Brouillon proposé à votre demande malgré une couverture insuffisante — vérifiez chaque phrase."
)


@dataclass
class Event:
    kind: Literal["passages", "token", "reset", "final"]
    data: dict[str, Any] = field(default_factory=dict)


def passages_from_hits(hits: list[Hit], origins: Mapping[str, DocEntry] | None = None) -> list[Passage]:
    """One passage per document, numbered 1..k in rank order: the chunks of a document are merged
    in their page order, so the agent sees one source per page and the numbering has no gaps.
    ``origins``: the build's manifest entries, which say from which file each document was loaded
    (the official-sources rule reads it)."""
    by_doc: dict[str, list[Hit]] = {}
    for h in hits:
        by_doc.setdefault(h.chunk.doc_id, []).append(h)
    passages = []
    for i, group in enumerate(by_doc.values(), start=1):
        best = group[0]  # hits come best first: the document's scores are its best chunk's
        in_page_order = sorted(group, key=lambda h: h.chunk.index)
        first = in_page_order[0]
        passages.append(
            Passage(
                n=i,
                chunk_id=best.chunk.id,
                doc_id=best.chunk.doc_id,
                title=str(best.chunk.metadata.get("title", "")),
                url=str(best.chunk.metadata.get("url", "")),
                heading_path=first.chunk.heading_path,
                updated=str(best.chunk.metadata.get("updated", "")),
                text=_merged_text(in_page_order),
                audience=str(best.chunk.metadata.get("audience", "all")),
                chunk_ids=tuple(h.chunk.id for h in in_page_order),
                scores=best.scores,
                ranks=best.ranks,
                doc_ranks=best.doc_ranks,
                matched_terms=tuple(dict.fromkeys(t for h in group for t in h.matched_terms)),
                origin=_origin(origins, best.chunk.doc_id),
            )
        )
    return passages


def _origin(origins: Mapping[str, DocEntry] | None, doc_id: str) -> str:
    entry = origins.get(doc_id) if origins is not None else None
    return entry.origin_file if entry is not None else ""


def _merged_text(chunks: list[Hit]) -> str:
    """Contiguous chunks run on; a gap is marked « --- » and the next chunk's heading restated, so
    that a sentence never inherits the condition of the section before the gap."""
    parts: list[str] = []
    for previous, h in zip([None, *chunks[:-1]], chunks, strict=True):
        if previous is not None and h.chunk.index != previous.chunk.index + 1:
            parts.append("---")
            if h.chunk.heading_path:
                parts.append(h.chunk.heading_path[-1])
        parts.append(h.chunk.text)
    return "\n".join(parts)


_CITED = re.compile(r"\[(\d{1,2})\]")


def renumber(
    text: str, passages: list[Passage], newer_first: Sequence[tuple[int, int]] = ()
) -> tuple[str, list[Passage]]:
    """Cited sources become [1]..[m] in order of first citation, the others follow: the agent reads
    [1][2][3], not [1][2][4][5]. Numbers naming no passage are left for the checks to remove.

    ``newer_first`` holds (older n, newer n) pairs of sources that disagree: the newer one is moved
    just before the older one, so the agent reads the current figure first."""
    text = normalise_citations(text)  # « [1, 3] », « [ 9 ] »: numbers of the drafter's numbering
    known = {p.n for p in passages}
    order = list(dict.fromkeys(int(n) for n in _CITED.findall(text) if int(n) in known))
    for older, newer in newer_first:
        if older in order and newer in order and order.index(newer) > order.index(older):
            order.remove(newer)
            order.insert(order.index(older), newer)
    order += [p.n for p in passages if p.n not in order]
    new = {old: i for i, old in enumerate(order, start=1)}
    text = _CITED.sub(lambda m: f"[{new.get(int(m.group(1)), int(m.group(1)))}]", text)
    by_n = {p.n: p for p in passages}
    return text, [replace(by_n[old], n=new[old]) for old in order]


def passage_public(
    p: Passage, cited_sentence: str | None = None, age: tuple[date, float] | None = None
) -> dict[str, Any]:
    """A passage as the panel gets it. With ``age`` = (reference date, max age in years), it says
    how old the source is and whether it is past the age at which the agent must check it."""
    age_years = None
    if age is not None and (updated := parse_updated(p.updated)) is not None:
        age_years = round((age[0] - updated).days / 365.25, 1)
    return {
        "n": p.n,
        "chunk_id": p.chunk_id,
        "chunk_ids": list(p.chunk_ids or (p.chunk_id,)),
        "doc_id": p.doc_id,
        "title": p.title,
        "url": p.url,
        "heading_path": list(p.heading_path),
        "updated": p.updated,
        "age_years": age_years,
        "stale": None if age is None or age_years is None else age_years > age[1],
        "audience": p.audience,
        "text": p.text,
        "cited_sentence": cited_sentence,
        "scores": p.scores,
        "ranks": p.ranks,
        "doc_ranks": p.doc_ranks,
        "matched_terms": list(p.matched_terms),
    }


class DraftingService:
    def __init__(
        self,
        settings: Settings,
        knowledge: KnowledgeService,
        store: DraftStore,
        telemetry: Telemetry,
        llm: LlmDrafter | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings, self.knowledge, self.store, self.telemetry = settings, knowledge, store, telemetry
        self.settings_hash = release_settings_hash(settings)
        self.llm = llm if llm is not None else LlmDrafter(settings.llm)
        self._rng = rng if rng is not None else random.SystemRandom()
        self.verified = VerifiedAnswers(settings.verified, store.engine, knowledge.searcher)

    # -- public API ------------------------------------------------------------------------------
    def create(self, request: DraftRequest) -> dict[str, Any]:
        final: dict[str, Any] = {}
        for event in self.run(request):
            if event.kind == "final":
                final = event.data
        return final

    def get(self, draft_id: str, agent: str | None) -> dict[str, Any]:
        """``agent``: the caller's pseudonym; None reads any draft (admins). Another agent's draft is
        "not found", exactly like an unknown id."""
        return record_public(self._own_draft(draft_id, agent))

    def _own_draft(self, draft_id: str, agent: str | None) -> DraftRecord:
        """The draft if ``agent`` owns it (None: any draft, for admins); else "not found", exactly
        like an unknown id, so an agent cannot even learn that another agent's draft exists."""
        record = self.store.get(draft_id)
        if record is None or (agent is not None and record.agent_pseudonym != agent):
            raise NotFoundError(f"no draft {draft_id} / brouillon introuvable")
        return record

    def assign_arm(self, request: DraftRequest) -> Arm:
        """The condition of this question, decided here and only here (never by the panel).

        A regeneration keeps its question in the assisted arm; a control question cannot be
        regenerated, since asking again must not be a way out of the draw."""
        if request.force_draft_of is not None:
            return self._check_forced(request)
        if request.regenerate_of is not None:
            original = self._own_draft(request.regenerate_of, request.agent)
            if original.arm == "control":
                raise ConflictError(
                    "a control-arm question is answered without a draft "
                    "/ question tirée au sort pour mesurer le temps gagné : pas de brouillon à régénérer"
                )
            return "assisted"
        if request.arm is not None:
            return request.arm
        return "control" if self._rng.random() < self.settings.drafting.control_share else "assisted"

    def _check_forced(self, request: DraftRequest) -> Arm:
        """« Proposer quand même »: only on the agent's own abstention, in the assisted arm. The new
        draft is still decided again (a question that is now routed stays routed)."""
        if request.regenerate_of is not None:
            raise ValueError("force_draft_of and regenerate_of are exclusive / l'un ou l'autre")
        assert request.force_draft_of is not None
        original = self._own_draft(request.force_draft_of, request.agent)
        if original.arm == "control":
            raise ConflictError(
                "a control-arm question is answered without a draft "
                "/ question tirée au sort pour mesurer le temps gagné : pas de brouillon sur demande"
            )
        if original.decision == "routed_to_human":
            raise ConflictError(
                "routed to a human / situation sensible : pas de brouillon automatique, même sur demande"
            )
        if original.decision != "abstained":
            raise ConflictError(
                "this draft was not an abstention / un brouillon a déjà été proposé : utilisez « Régénérer »"
            )
        return "assisted"

    # -- the pipeline ----------------------------------------------------------------------------
    def run(self, request: DraftRequest) -> Iterator[Event]:
        """Checks the request and draws the arm now (so a refusal is an HTTP error, not a broken
        stream), then returns the events of the pipeline."""
        arm = self.assign_arm(request)
        return self._run(request, arm)

    def _run(self, request: DraftRequest, arm: Arm) -> Iterator[Event]:
        started = time.perf_counter()
        draft_id = str(uuid.uuid4())
        # Spans are started with an explicit parent and never attached to the current context: this
        # generator is resumed from different threads by the SSE response, where attaching and
        # detaching a context across a `yield` fails.
        root = self.telemetry.tracer.start_span("draft.pipeline")
        ctx = trace.set_span_in_context(root)
        with _Ended(root):
            root.set_attribute("hra.draft_id", draft_id)
            root.set_attribute("hra.arm", arm)
            masked = mask_pii(request.question)
            root.set_attribute("hra.pii.count", len(masked.entities))
            with self._step("retrieve", ctx) as span:
                searcher = self.knowledge.searcher()
                filters = SearchFilters(audience=request.category)
                # Retrieval reads the question without the placeholders: « [NOM_1] » is not a word
                # of the knowledge base and would lower the confidence of a question with names.
                query = masked.for_retrieval
                hits = searcher.search(query, filters, top_k=self.settings.drafting.passages)
                # Dense lists whose vector store is down (Chroma server unreachable): the passages
                # come from the other lists — keywords only when all failed; the agent is told.
                unavailable = list(getattr(hits, "unavailable", ()))
                passages = passages_from_hits(hits, searcher.index.manifest.documents)
                span.set_attribute("hra.passages", len(passages))
                span.set_attribute("hra.kb_version", searcher.index.kb_version)
            with self._step("decide", ctx) as span:
                signals = retrieval_signals(query, hits, searcher.index, self.settings.decision.confidence)
                if unavailable:  # no cosine was computed: unknown, not zero
                    signals = replace(signals, similarity=None)
                verdict, thresholds = read_meaning(self.settings, searcher, query)
                decision = decide(masked.text, signals, self.settings.decision, verdict, thresholds)
                if verdict is not None:  # probabilities only: never question text
                    span.set_attribute("hra.router.sensitive", verdict.sensitive)
                    span.set_attribute("hra.router.out_of_scope", verdict.out_of_scope)
                span.set_attribute("hra.decision.stage", decision.stage)
                span.set_attribute("hra.signal.agreement", signals.agreement)
                span.set_attribute("hra.signal.coverage", signals.coverage)
                if signals.similarity is not None:
                    span.set_attribute("hra.signal.similarity", signals.similarity)
                span.set_attribute("hra.decision", decision.kind)
                span.set_attribute("hra.confidence", decision.confidence)
            # « Proposer quand même »: an abstention becomes a draft the agent asked for; a routing
            # (decided again just above) never does.
            forced = request.force_draft_of is not None and decision.kind == "abstained"
            if forced:
                decision = replace(decision, kind="drafted", reason=FORCED_REASON)
                root.set_attribute("hra.forced", True)
            # A verified answer (never for a routed/abstained, control, forced or regenerated one).
            reuse: Reuse | None = None
            if decision.kind == "drafted" and arm == "assisted" and not forced and not request.regenerate_of:
                reuse = self.verified.find(searcher, masked.text, request.category, passages)
                passages = with_retrieved(reuse.passages, passages) if reuse else passages
            yield Event(
                "passages",
                {
                    "draft_id": draft_id,
                    "arm": arm,
                    "decision": decision.kind,
                    "reason": decision.reason,
                    "confidence": decision.confidence,
                    "passages": [passage_public(p, age=self._age()) for p in passages],
                    "dense_unavailable": unavailable,
                },
            )
            draft: DraftText | None = None
            checked: CheckedDraft | None = None
            if decision.kind == "drafted" and arm == "assisted":
                draft = yield from self._draft(masked.text, passages, request.category, ctx, reuse)
                assert draft is not None
                renumbered, passages = renumber(draft.text, passages, newer_first_pairs(draft.text, passages))
                draft = replace(draft, text=renumbered)
                with self._step("check", ctx) as span:
                    drafting = self.settings.drafting
                    checked = check_draft(
                        draft.text,
                        passages,
                        drafting.ai_mention or None,
                        today=drafting.reference_date,
                        max_age_years=drafting.source_max_age_years,
                        extra_domains=drafting.trusted_domains,
                        extra_sources=drafting.official_sources,
                    )
                    span.set_attribute("hra.flags", len(checked.flags))
                    span.set_attribute("hra.citations", len(checked.cited))
            level, level_reason = confidence_level(decision, arm, draft)
            latency_ms = int((time.perf_counter() - started) * 1000)
            record = self._record(
                draft_id,
                request,
                masked.text,
                masked.kinds,
                decision,
                passages,
                draft,
                checked,
                searcher.index.kb_version,
                latency_ms,
                arm,
                (level, level_reason),
                forced=forced,
            )
            self.store.add(record)
            root.set_attribute("hra.decision", decision.kind)
            self.telemetry.request_ms.record(
                latency_ms, {"decision": decision.kind, "drafter": record.drafter, "arm": arm}
            )
        public = record_public(record)
        public["dense_unavailable"] = unavailable  # this response only: not stored with the draft
        if public["text"]:  # the agent sees the real names and numbers; the store keeps placeholders
            public["text"] = unmask(public["text"], masked)
            public["flags"] = [{**f, "value": unmask(f["value"], masked)} for f in public["flags"]]
        yield Event("final", public)

    def _draft(
        self,
        question: str,
        passages: list[Passage],
        category: str | None,
        ctx: Context,
        reuse: Reuse | None = None,
    ) -> Generator[Event, None, DraftText]:
        with self._step("draft", ctx) as span:
            if reuse is not None:
                span.set_attribute("hra.drafter", "verified")
                yield from (Event("token", {"text": piece}) for piece in _pieces(reuse.draft.text))
                return reuse.draft
            fallback: str | None = None
            if self.llm.is_configured:
                span.set_attribute("gen_ai.operation.name", "chat")
                span.set_attribute("gen_ai.system", self.llm.system)
                span.set_attribute("gen_ai.request.model", self.llm.model_name)
                chunks: list[str] = []
                usage: dict[str, int] = {}
                try:
                    for chunk in self.llm.stream(question, passages, category, usage):
                        chunks.append(chunk)
                        yield Event("token", {"text": chunk})
                    for key, value in usage.items():
                        span.set_attribute(f"gen_ai.usage.{key}", value)
                    span.set_attribute("hra.drafter", "llm")
                    return DraftText(
                        "".join(chunks), "llm", self.llm.model_name, self.llm.prompt_version, usage
                    )
                except DrafterUnavailableError as exc:
                    fallback = f"LLM indisponible ({exc}) : brouillon extractif hors ligne à la place."
                    span.set_attribute("hra.fallback", True)
                    log.warning("llm drafter unavailable, falling back to offline: %s", exc)
                    if chunks:
                        yield Event("reset", {"reason": fallback})
            drafter = OfflineDrafter.for_index(self.knowledge.searcher().index.bm25)
            offline = drafter.draft(question, passages, category)
            span.set_attribute("hra.drafter", "offline")
            for piece in _pieces(offline.text):
                yield Event("token", {"text": piece})
            return DraftText(
                offline.text, "offline", None, None, fallback_reason=fallback, extra=offline.extra
            )

    def _age(self) -> tuple[date, float]:
        drafting = self.settings.drafting
        return drafting.reference_date or date.today(), drafting.source_max_age_years

    def _step(self, name: str, ctx: Context) -> Any:
        return _TimedSpan(self.telemetry, name, ctx)

    def _record(
        self,
        draft_id: str,
        request: DraftRequest,
        question_masked: str,
        pii_kinds: Sequence[str],
        decision: Decision,
        passages: list[Passage],
        draft: DraftText | None,
        checked: CheckedDraft | None,
        kb_version: str,
        latency_ms: int,
        arm: Arm,
        level: tuple[str | None, str],
        forced: bool = False,
    ) -> DraftRecord:
        if forced:  # asked for despite low coverage: always the lowest level, whatever the drafter says
            level = ("faible", FORCED_LEVEL_REASON)
        cited = set(checked.cited) if checked else set()
        citations = [
            {**passage_public(p, " ".join(cited_sentences(checked.text, p)), self._age()), "text": None}
            for p in passages
            if p.n in cited and checked is not None
        ]
        return DraftRecord(
            id=draft_id,
            created_at=datetime.now(UTC),
            question_masked=question_masked,
            pii_kinds=list(pii_kinds),
            category=request.category,
            topic=request.topic or infer_topic(question_masked, passages),
            decision=decision.kind,
            decision_reason=decision.reason,
            confidence=decision.confidence,
            draft_text=checked.text if checked else None,
            citations=citations,
            retrieved=[passage_public(p, age=self._age()) for p in passages],
            flags=[f.__dict__ for f in checked.flags] if checked else [],
            kb_version=kb_version,
            drafter=draft.drafter if draft else "none",
            model=draft.model if draft else None,
            prompt_version=draft.prompt_version if draft else None,
            fallback_reason=draft.fallback_reason if draft else None,
            latency_ms=latency_ms,
            ai_mention=bool(checked and checked.ai_mention),
            arm=arm,
            regenerated_from=request.regenerate_of or request.force_draft_of,
            confidence_level=level[0],
            confidence_reason=level[1],
            agent_pseudonym=request.agent,
            forced=forced,
            settings_hash=self.settings_hash,
        )


def confidence_level(decision: Decision, arm: Arm, draft: DraftText | None) -> tuple[str | None, str]:
    """The level shown on every draft, with its reason: the lower of what retrieval says (the
    decision's confidence) and what the drafter found (a matching FAQ, partial coverage…)."""
    if decision.kind == "routed_to_human":
        return None, LEVEL_REASONS["routed"]
    if decision.kind == "abstained":
        return "faible", LEVEL_REASONS["abstained"]
    retrieval = level_from_confidence(decision.confidence)
    retrieval_reason = (
        LEVEL_REASONS["low_retrieval"] if retrieval != "élevée" else LEVEL_REASONS["extract_high"]
    )
    if draft is None or arm == "control":
        return retrieval, retrieval_reason
    if draft.drafter == "llm":
        return retrieval, LEVEL_REASONS["llm"] if retrieval == "élevée" else retrieval_reason
    drafted = draft.extra.get("level")
    if drafted not in ("élevée", "moyenne", "faible"):
        return retrieval, retrieval_reason
    lowest = lower_level(drafted, retrieval)
    return lowest, (str(draft.extra.get("level_reason")) if lowest == drafted else retrieval_reason)


def read_meaning(
    settings: Settings, searcher: HybridSearcher, text: str
) -> tuple[RouterVerdict | None, RouterThresholds | None]:
    """The semantic router's reading of the question, from the query vectors retrieval has just
    computed (the embedders memoise their last query). None when the router is disabled or the
    index lacks one of its embedders (tests on the fake embedder): lexicon only then."""
    configured = settings.decision.router
    router = default_router() if configured.enabled else None
    if router is None:
        return None, None
    dense: dict[str, OfflineEmbeddings] = {d.name: d.embedder for d in searcher.index.dense}
    if any(name not in dense for name in router.embedders):
        return None, None
    try:
        reading = router_text(text)  # the same string as retrieval's unless greetings were dropped
        verdict = router.read([dense[name].embed_query_array(reading) for name in router.embedders])
    except ValueError as exc:  # a different model version than the router was trained on
        log.warning("semantic router skipped: %s", exc)
        return None, None
    calibrated = router.thresholds
    return verdict, RouterThresholds(
        sensitive=_override(configured.sensitive_threshold, calibrated.sensitive),
        sensitive_low=_override(configured.sensitive_low_threshold, calibrated.sensitive_low),
        out_of_scope=_override(configured.out_of_scope_threshold, calibrated.out_of_scope),
    )


def _override(configured: float | None, calibrated: float) -> float:
    return calibrated if configured is None else configured


def record_public(record: DraftRecord) -> dict[str, Any]:
    return {
        "draft_id": record.id,
        # SQLite keeps no zone: what was stored in UTC comes back naive, and is said to be UTC.
        "created_at": (
            record.created_at if record.created_at.tzinfo else record.created_at.replace(tzinfo=UTC)
        ).isoformat(),
        "question_masked": record.question_masked,
        "pii_masked": record.pii_kinds,
        "category": record.category,
        "topic": record.topic,
        "decision": {
            "kind": record.decision,
            "reason": record.decision_reason,
            "confidence": record.confidence,
            "level": record.confidence_level,
            "level_reason": record.confidence_reason,
        },
        "text": record.draft_text,
        "citations": record.citations,
        "passages": record.retrieved,
        "flags": record.flags,
        "kb_version": record.kb_version,
        "drafter": record.drafter,
        "model": record.model,
        "prompt_version": record.prompt_version,
        "fallback_reason": record.fallback_reason,
        "latency_ms": record.latency_ms,
        "ai_mention": record.ai_mention,
        "arm": record.arm,
        "regenerated_from": record.regenerated_from,
        "forced": bool(record.forced),
    }


def _pieces(text: str, size: int = 60) -> Iterator[str]:
    """The offline draft sent as a stream too, so the panel has one code path."""
    for start in range(0, len(text), size):
        yield text[start : start + size]


class _Ended:
    """Ends a span on exit (recording an exception) without making it the current span."""

    def __init__(self, span: Span) -> None:
        self._span = span

    def __enter__(self) -> Span:
        return self._span

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if isinstance(exc, BaseException) and not isinstance(exc, GeneratorExit):
            self._span.record_exception(exc)
            self._span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        self._span.end()


class _TimedSpan(_Ended):
    """A pipeline step: a child span of the draft's span, and its duration in the step histogram."""

    def __init__(self, telemetry: Telemetry, name: str, ctx: Context) -> None:
        super().__init__(telemetry.tracer.start_span(name, context=ctx))
        self._telemetry, self._name, self._started = telemetry, name, time.perf_counter()

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self._telemetry.step_ms.record((time.perf_counter() - self._started) * 1000, {"step": self._name})
        super().__exit__(kind, exc, tb)
