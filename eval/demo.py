"""Simulated weeks of activity for the leads' dashboard, written THROUGH THE REAL HTTP API (the
drafts, then the panel's events, each with an agent's own token) into a store marked as demo.

Agents differ (some edit more, some are slower); questions come from eval/datasets/questions-dev
(topics from their clusters) plus a few sensitive ones (routed to a human). Every write goes through
the API; past weeks date their drafts with the demo-only ``feedback.drafts.stamped`` (the server
stamps a draft with the time it is stored, before its audit-chain entry covers that date; events
carry their own ``occurred_at``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

from sqlalchemy import Engine, text

from assistant.pipeline.topics import taxonomy
from eval.dashboard.store import DEMO_TABLE
from eval.dashboard.weeks import bounds
from feedback.drafts import stamped

DATASETS = Path(__file__).parent / "datasets"
DISCARD_REASONS = [
    "Ne répond pas à la question posée",
    "Sources hors sujet",
    "Le salarié relève de la fonction publique",
    "Réponse trop générale",
    "Je préfère rédiger moi-même",
]
DOWN_REASONS = [
    "wrong",
    "outdated",
    "missing_information",
    "invented_source_or_fact",
    "tone",
    "too_long",
    "other",
]
CLOSINGS = ["N'hésitez pas à revenir vers moi si besoin.", "Je reste à votre disposition.", "Bien à vous,"]


class Client(Protocol):
    def post(self, url: str, *, json: Any = ..., headers: Any = ...) -> Any: ...


@dataclass
class Agent:
    headers: dict[str, str]
    pace: float  # multiplies every duration
    edits: float  # propensity to edit before sending


@dataclass
class Posted:
    """What the simulation posted and what the server answered (tests recompute from this)."""

    drafts: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def _lines(name: str) -> list[str]:
    return [line for line in (DATASETS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def load_questions(limit: int = 400, seed: int = 0) -> list[tuple[str, str | None]]:
    """(question, topic): dev questions and 5 % sensitive ones. The topic is the taxonomy id the
    question's first cluster names when it names one (an agent correcting the topic), else None: the
    server infers it, as for most agents who leave the « Thème » list alone."""
    rows = [json.loads(line) for line in _lines("questions-dev.jsonl")]
    rng = random.Random(seed)
    rng.shuffle(rows)
    pool: list[tuple[str, str | None]] = [(r["question"], _topic_id(r)) for r in rows[:limit]]
    sensitive = [json.loads(line) for line in _lines("sensitive.jsonl")]
    pool += [(s["question"], None) for s in sensitive[: max(limit // 20, 1)]]
    return pool


def _topic_id(row: dict[str, Any]) -> str | None:
    cluster = ((row.get("meta") or {}).get("clusters") or [None])[0]
    return taxonomy().canonical(cluster) if cluster else None


class Simulation:
    def __init__(self, client: Client, engine: Engine, agents: Sequence[Agent], seed: int = 0) -> None:
        self.client, self.engine, self.agents = client, engine, list(agents)
        self.rng = random.Random(seed)
        self.posted = Posted()

    # ------------------------------------------------------------------ HTTP
    def _draft(self, agent: Agent, body: dict[str, Any], at: datetime) -> dict[str, Any]:
        with stamped(self.engine, at):  # DEMO ONLY: a past week's draft
            response = self.client.post("/api/v1/drafts", json=body, headers=agent.headers)
        assert response.status_code == 201, response.text
        draft = response.json()
        self.posted.drafts.append(
            {
                "draft_id": draft["draft_id"],
                "agent": agent.headers["Authorization"],
                "decision": draft["decision"]["kind"],
                "arm": draft["arm"],
                "regenerated_from": draft["regenerated_from"],
                "forced": draft.get("forced", False),
                "topic": draft["topic"],
                "drafter": draft["drafter"],
                "flags": [f["kind"] for f in draft["flags"]],
                "question": draft["question_masked"],
                "at": at,
            }
        )
        return draft  # type: ignore[no-any-return]

    def _event(self, agent: Agent, draft_id: str, kind: str, at: datetime, **body: Any) -> None:
        event = {"event_id": str(uuid4()), "draft_id": draft_id, "type": kind, "occurred_at": at.isoformat()}
        response = self.client.post("/api/v1/feedback/events", json={**event, **body}, headers=agent.headers)
        assert response.status_code == 201, response.text
        self.posted.events.append(
            {**event, **body, "agent": agent.headers["Authorization"], "outcome": response.json()["outcome"]}
        )

    # ------------------------------------------------------------------ behaviour
    def _seconds(self, agent: Agent, median: float) -> float:
        return median * agent.pace * self.rng.lognormvariate(0, 0.45)

    def _own_reply(self) -> str:
        return (
            "Bonjour,\n\nJ'ai bien reçu votre demande et je vous réponds après vérification de votre "
            f"situation auprès du service compétent. {self.rng.choice(CLOSINGS)}\n\nCordialement,"
        )

    def _edit(self, agent: Agent, draft: str) -> str:
        """Plausible edits: a warmer greeting, a closing line, a paragraph dropped, a sentence added."""
        text = draft
        if self.rng.random() < 0.6:
            text = text.replace("Bonjour,", self.rng.choice(["Bonjour Madame,", "Bonjour Monsieur,"]), 1)
        if self.rng.random() < agent.edits:
            text = text.rstrip() + "\n\n" + self.rng.choice(CLOSINGS)
        paragraphs = text.split("\n\n")
        if len(paragraphs) > 3 and self.rng.random() < 0.4:
            paragraphs.pop(self.rng.randrange(1, len(paragraphs) - 1))
            text = "\n\n".join(paragraphs)
        return text if text != draft else draft + "\nBien cordialement."

    def _send(self, agent: Agent, draft_id: str, at: datetime, final: str, median: float) -> datetime:
        ms = int(self._seconds(agent, median) * 1000)
        sent_at = at + timedelta(milliseconds=ms)
        timings = {"ms_to_send": ms, "ms_to_first_edit": ms // 3, "active_edit_ms": ms // 4}
        self._event(agent, draft_id, "sent", sent_at, final_text=final, timings=timings)
        return sent_at

    def question(self, agent: Agent, question: str, topic: str | None, at: datetime) -> None:
        draft = self._draft(agent, {"question": question, "topic": topic}, at)
        did, shown = draft["draft_id"], at + timedelta(seconds=2)
        if draft["arm"] == "control":  # no draft: the agent answers from the sources, unaided
            self._send(agent, did, shown, self._own_reply(), 330)
            return
        if draft["decision"]["kind"] != "drafted":  # abstained or routed: most still reply
            if self.rng.random() < 0.6:
                self._send(agent, did, shown, self._own_reply(), 300)
            return
        self._event(agent, did, "shown", shown)
        if self.rng.random() < 0.07:  # « Régénérer »
            self._event(agent, did, "regenerated", shown + timedelta(seconds=20))
            draft = self._draft(agent, {"question": question, "topic": topic, "regenerate_of": did}, at)
            did, shown = draft["draft_id"], shown + timedelta(seconds=25)
            if draft["decision"]["kind"] != "drafted":
                return
            self._event(agent, did, "shown", shown)
        self._fate(agent, did, draft["text"], shown)

    def _fate(self, agent: Agent, did: str, text_: str, shown: datetime) -> None:
        r, end = self.rng.random(), shown + timedelta(seconds=60)
        down = 0.0
        if r < 0.42 - agent.edits * 0.2:
            end, down = self._send(agent, did, shown, text_, 95), 0.02
        elif r < 0.78:
            end, down = self._send(agent, did, shown, self._edit(agent, text_), 170), 0.1
        elif r < 0.83:
            end, down = self._send(agent, did, shown, self._own_reply(), 280), 0.4
        elif r < 0.95:
            self._event(agent, did, "discarded", end, reason=self.rng.choice(DISCARD_REASONS))
            down = 0.55
        else:
            return  # left open: no outcome
        if self.rng.random() < down:
            reasons = self.rng.sample(DOWN_REASONS, self.rng.choice([1, 1, 2]))
            self._event(agent, did, "verdict", end + timedelta(seconds=5), value="down", reasons=reasons)
        elif self.rng.random() < 0.25:
            self._event(agent, did, "verdict", end + timedelta(seconds=5), value="up")

    def week(self, week: str, n: int, questions: Sequence[tuple[str, str | None]]) -> None:
        """``n`` questions over the working hours (Mon–Fri, 07:00–17:00 UTC) of ``week``."""
        monday = bounds(week)[0]
        # A few questions come back often (Zipf-like), as in a real service: the first ones of the
        # list are the frequent ones.
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(questions))]
        for _ in range(n):
            at = monday + timedelta(days=self.rng.randrange(5), hours=7 + self.rng.random() * 10)
            question, topic = self.rng.choices(questions, weights)[0]
            self.question(self.rng.choice(self.agents), question, topic, at)


def agents_from(headers: Sequence[dict[str, str]], seed: int = 0) -> list[Agent]:
    rng = random.Random(seed)
    return [Agent(h, pace=rng.uniform(0.7, 1.5), edits=rng.uniform(0.2, 0.8)) for h in headers]


def mark_demo(engine: Engine) -> None:
    """The store holds simulated data: the dashboard shows « Données de démonstration »."""
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {DEMO_TABLE} (created_at VARCHAR(40))"))
        conn.execute(text(f"INSERT INTO {DEMO_TABLE} VALUES (:at)"), {"at": datetime.now().isoformat()})
