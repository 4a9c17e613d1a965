"""Simulated weeks of questions with a KNOWN truth, to prove the time-saved measures.

Model (per question, times in seconds):

* base time to answer without a draft: ``floor + speed_k × LogNormal(median_topic, σ)``, where
  ``speed_k`` is the agent's own speed (random agent effect, log-normal) — plus, sometimes, an idle
  gap (the agent is interrupted) drawn the same way in both arms;
* assisted: ``base − (effect_topic + u_k)``, where ``u_k`` is how much more (or less) the draft
  helps agent k (random agent effect on the saving); clipped at ``min_time_s``;
* randomisation per question: control with probability ``control_share``;
* assisted questions are sometimes discarded (no text sent), regenerated, thumbed down (with
  feedback time after sending; sometimes for an invented fact or source), flagged;
* control questions are sometimes retyped as a new question (the agent, given no draft, asks
  again): intention-to-treat keeps the whole time in the control session (``retyped``), and the
  control draft itself ends with no text sent.

Because agents' savings vary, the population time saved is not exactly ``effect_topic``:
:func:`true_effects` computes both estimands (difference of population medians, Hodges–Lehmann
shift) by Monte Carlo on a very large population. Each simulated week can draw its own agents
(``fresh_agents``): the weeks are then independent replications, which is what coverage needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import numpy as np

from eval.measures import Session, iso_week, week_start

TopicParams = tuple[float, float]  # (effect in seconds, median base time in seconds)


@dataclass(frozen=True)
class SimConfig:
    topics: dict[str, TopicParams] = field(
        default_factory=lambda: {
            "conges": (35.0, 150.0),  # assisted saves 35 s
            "paie": (-10.0, 180.0),  # assisted costs 10 s
            "temps-de-travail": (20.0, 120.0),
        }
    )
    agents: int = 30
    questions_per_agent: float = 60.0  # per week (Poisson)
    control_share: float = 0.10
    floor_s: float = 40.0
    sigma: float = 0.6  # within-agent log-normal spread
    agent_speed_sigma: float = 0.35  # between-agent speed (log scale)
    agent_effect_sd_s: float = 12.0  # between-agent spread of the saving
    idle_share: float = 0.08
    idle_mean_s: float = 240.0
    min_time_s: float = 5.0
    discard_share: float = 0.06  # assisted questions ending in a discard (no text sent)
    control_abandon_share: float = 0.02  # control questions left without a text sent
    retype_share: float = 0.04  # control questions retyped as a new question
    regenerate_share: float = 0.08
    thumbs_down_share: float = 0.10
    invented_share: float = 0.30  # of thumbs-down
    feedback_median_s: float = 25.0
    flags_rate: float = 0.4
    fresh_agents: bool = True  # new agents each week (independent weeks)


@dataclass(frozen=True)
class SimQuestion:
    """A simulated question and what the panel would post for it (for the HTTP replay)."""

    session: Session
    start: datetime
    text: str
    regen_pieces_ms: tuple[int, ...] = ()  # time on each replaced draft (regenerated), in order
    retype_after_ms: int | None = None  # control draft left after this long, then retyped
    retype_text: str | None = None


_VOCABULARY = (
    "congé maternité paternité solde report acquisition fractionnement ancienneté prime "
    "salaire bulletin heures supplémentaires repos compensateur forfait jours astreinte "
    "télétravail mutuelle prévoyance arrêt maladie carence indemnité licenciement rupture "
    "conventionnelle préavis démission formation compte personnel entretien professionnel "
    "mutation temps partiel annualisation horaires nuit dimanche férié pont récupération "
    "RTT cadre stagiaire apprenti intérim période essai visite médicale reclassement inaptitude "
    "mandat élu délégation crédit transport titre restaurant"
)
_WORDS = tuple(_VOCABULARY.split())
_OPENERS = ("Bonjour, ", "Question : ", "", "Un salarié demande : ", "Pouvez-vous préciser ")


def _question(rng: np.random.Generator, topic: str) -> str:
    words = rng.choice(_WORDS, size=9, replace=False)
    opener = _OPENERS[int(rng.integers(len(_OPENERS)))]
    return f"{opener}{topic.replace('-', ' ')} : " + " ".join(str(w) for w in words) + " ?"


def _retype(rng: np.random.Generator, text: str) -> str:
    return "Je repose ma question, " + text[0].lower() + text[1:]


def make_agents(config: SimConfig, seed: int, prefix: str = "agent") -> list[tuple[str, float, float]]:
    """(name, speed factor, own extra saving in seconds) for each agent."""
    rng = np.random.default_rng([seed, 1])
    return [
        (
            f"{prefix}-{k + 1}",
            math.exp(rng.normal(0.0, config.agent_speed_sigma)),
            float(rng.normal(0.0, config.agent_effect_sd_s)),
        )
        for k in range(config.agents)
    ]


def simulate_week(
    week: str,
    config: SimConfig = SimConfig(),
    seed: int = 0,
    agents: list[tuple[str, float, float]] | None = None,
) -> list[SimQuestion]:
    """One ISO week of questions (times spread over Monday–Friday, 8 h – 18 h)."""
    rng = np.random.default_rng([seed, 2])
    monday = datetime.combine(week_start(week), datetime.min.time(), tzinfo=UTC)
    topics = sorted(config.topics)
    out: list[SimQuestion] = []
    for agent, speed, u in agents if agents is not None else make_agents(config, seed):
        n = int(rng.poisson(config.questions_per_agent))
        # Questions of an agent are sequential: a start every few minutes of the working week.
        starts = np.sort(rng.uniform(0, 5 * 10 * 3600, size=n))
        for i in range(n):
            topic = topics[int(rng.integers(len(topics)))]
            effect, median = config.topics[topic]
            day, second = divmod(float(starts[i]), 10 * 3600)
            start = monday + timedelta(days=int(day), hours=8, seconds=round(second))
            out.append(_one(rng, config, agent, week, topic, effect + u, median, speed, start))
    out.sort(key=lambda q: (q.start, q.session.agent))
    return out


def _one(
    rng: np.random.Generator,
    cfg: SimConfig,
    agent: str,
    week: str,
    topic: str,
    saving: float,
    median: float,
    speed: float,
    start: datetime,
) -> SimQuestion:
    base = cfg.floor_s + speed * median * math.exp(rng.normal(0.0, cfg.sigma))
    if rng.random() < cfg.idle_share:
        base += rng.exponential(cfg.idle_mean_s)
    control = rng.random() < cfg.control_share
    text = _question(rng, topic)
    total_s = base if control else max(cfg.min_time_s, base - saving)
    total = round(total_s * 1000)
    if control:
        edit = int(total * rng.uniform(0.4, 0.8))
        if rng.random() < cfg.retype_share:
            after = int(total * rng.uniform(0.05, 0.3))
            s = Session("control", topic, agent, week, total, 0, edit, retyped=True, drafts=2)
            return SimQuestion(s, start, text, retype_after_ms=after, retype_text=_retype(rng, text))
        if rng.random() < cfg.control_abandon_share:
            return SimQuestion(Session("control", topic, agent, week, None), start, text)
        return SimQuestion(Session("control", topic, agent, week, total, 0, edit), start, text)
    flags = int(rng.poisson(cfg.flags_rate))
    if rng.random() < cfg.discard_share:
        spent = round(1000 * (10 + speed * 50 * math.exp(rng.normal(0, 0.5))))
        verify = int(spent * rng.uniform(0.1, 0.5))
        s = Session(
            "assisted", topic, agent, week, None, verify, 0, discarded=True, discarded_ms=spent, flags=flags
        )
        return SimQuestion(s, start, text)
    verify = int(total * rng.uniform(0.05, 0.35))
    edit = int(total * rng.uniform(0.05, 0.35))
    distance = round(float(rng.beta(2, 8)), 4)
    regen: tuple[int, ...] = ()
    if rng.random() < cfg.regenerate_share:
        regen = (int(total * rng.uniform(0.1, 0.3)),)
    down = rng.random() < cfg.thumbs_down_share
    invented = down and rng.random() < cfg.invented_share
    feedback = round(1000 * cfg.feedback_median_s * math.exp(rng.normal(0, 0.5))) if down else 0
    s = Session(
        "assisted",
        topic,
        agent,
        week,
        total,
        verify,
        edit,
        distance,
        regenerations=len(regen),
        feedback_ms=feedback,
        thumbs_down=int(down),
        invented=int(invented),
        flags=flags,
        drafts=1 + len(regen),
    )
    return SimQuestion(s, start, text, regen_pieces_ms=regen)


def simulate(
    last_week: str, weeks: int = 1, config: SimConfig = SimConfig(), seed: int = 0
) -> list[SimQuestion]:
    """``weeks`` consecutive ISO weeks ending with ``last_week``. With ``config.fresh_agents`` each
    week has its own agents (independent weeks); otherwise the same team works every week."""
    start = week_start(last_week)
    team = make_agents(config, seed)
    out: list[SimQuestion] = []
    for i in range(weeks):
        wk = iso_week(start - timedelta(weeks=weeks - 1 - i))
        agents = make_agents(config, seed * 1000 + i, f"agent-w{i}") if config.fresh_agents else team
        out.extend(simulate_week(wk, config, seed * 1000 + i, agents))
    return out


def sessions(questions: list[SimQuestion]) -> list[Session]:
    return [q.session for q in questions]


Estimand = Literal["median_difference", "hodges_lehmann"]


def true_effects(
    config: SimConfig = SimConfig(), n: int = 400_000, seed: int = 12345
) -> dict[str, dict[str, float]]:
    """The population values of both estimands per topic (seconds), by Monte Carlo over a very
    large population of agents (each question from a new agent draw: the superpopulation)."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, float]] = {}
    for topic in sorted(config.topics):
        effect, median = config.topics[topic]
        speed = np.exp(rng.normal(0.0, config.agent_speed_sigma, size=(2, n)))
        base = config.floor_s + speed * median * np.exp(rng.normal(0.0, config.sigma, size=(2, n)))
        idle = rng.random((2, n)) < config.idle_share
        base = base + idle * rng.exponential(config.idle_mean_s, size=(2, n))
        u = rng.normal(0.0, config.agent_effect_sd_s, size=n)
        control = base[0]
        assisted = np.maximum(config.min_time_s, base[1] - (effect + u))
        pairs = control - assisted  # independent draws: the Hodges–Lehmann estimand's distribution
        out[topic] = {
            "nominal": effect,
            "median_difference": float(np.median(control) - np.median(assisted)),
            "hodges_lehmann": float(np.median(pairs)),
        }
    return out


def today_week() -> str:
    return iso_week(date.today())


# -- what the panel would post: the plan of a replay ----------------------------------------------


@dataclass(frozen=True)
class PlannedEvent:
    type: str
    offset_ms: int  # from the question's start
    body: dict[str, object]  # the event fields besides event_id, draft_id, type, occurred_at


@dataclass(frozen=True)
class PlannedDraft:
    arm: str  # the arm the draft must be created with (a retype is drawn again: assisted here)
    question: str
    regenerates_previous: bool  # « Régénérer » on the previous draft of this question
    events: tuple[PlannedEvent, ...]


def _t(ms_to_send: int, edit: int = 0, sources: int = 0) -> dict[str, object]:
    return {"timings": {"ms_to_send": ms_to_send, "active_edit_ms": edit, "sources_open_ms": sources}}


def panel_plan(q: SimQuestion) -> list[PlannedDraft]:
    """The drafts and panel events that produce exactly ``q.session`` once read back from the store
    (edit distances and flags excepted: the server computes them from the real drafts)."""
    s = q.session
    total = s.ms_to_send
    sent_body = {"final_text": "Réponse envoyée : " + q.text}
    if s.arm == "control":
        if q.retype_after_ms is not None and total is not None and q.retype_text is not None:
            after = q.retype_after_ms
            events = (
                PlannedEvent("shown", after, {}),
                PlannedEvent("sent", total, {**sent_body, **_t(total - after, s.active_edit_ms)}),
            )
            return [
                PlannedDraft("control", q.text, False, (PlannedEvent("shown", 0, {}),)),
                PlannedDraft("assisted", q.retype_text, False, events),
            ]
        events_c: list[PlannedEvent] = [PlannedEvent("shown", 0, {})]
        if total is not None:
            events_c.append(PlannedEvent("sent", total, {**sent_body, **_t(total, s.active_edit_ms)}))
        return [PlannedDraft("control", q.text, False, tuple(events_c))]
    if total is None:  # discarded
        spent = s.discarded_ms
        events_d = [PlannedEvent("shown", 0, {})]
        if s.sources_open_ms >= 300:
            events_d.append(
                PlannedEvent("sources_opened", s.sources_open_ms, {"duration_ms": s.sources_open_ms})
            )
        events_d.append(
            PlannedEvent("discarded", spent, {"reason": "hors sujet", **_t(spent, 0, s.sources_open_ms)})
        )
        return [PlannedDraft("assisted", q.text, False, tuple(events_d))]
    drafts: list[PlannedDraft] = []
    at = 0
    for piece in q.regen_pieces_ms:
        events_r = (PlannedEvent("shown", at, {}), PlannedEvent("regenerated", at + piece, _t(piece)))
        drafts.append(PlannedDraft("assisted", q.text, bool(drafts), events_r))
        at += piece
    last = total - at
    events_s = [PlannedEvent("shown", at, {})]
    if s.active_edit_ms:
        events_s.append(PlannedEvent("edit_started", at + 1000, {"timings": {"ms_to_first_edit": 1000}}))
    if s.sources_open_ms >= 300:
        events_s.append(PlannedEvent("sources_opened", at + 2000, {"duration_ms": s.sources_open_ms}))
    events_s.append(
        PlannedEvent("sent", total, {**sent_body, **_t(last, s.active_edit_ms, s.sources_open_ms)})
    )
    if s.thumbs_down:
        reasons = ["invented_source_or_fact"] if s.invented else ["wrong"]
        events_s.append(
            PlannedEvent(
                "verdict",
                total + s.feedback_ms,
                {"value": "down", "reasons": reasons, "timings": {"ms_to_send": last + s.feedback_ms}},
            )
        )
    drafts.append(PlannedDraft("assisted", q.text, bool(drafts), tuple(events_s)))
    return drafts
