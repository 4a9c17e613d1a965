"""Time actually saved (randomised control arm) and the machine-oriented extra work — pure functions.

Everything here works on plain records (:class:`Session`, one per *question*, intention-to-treat on
the arm of its first draw); building them from the store is eval/measures_store.py. See
eval/MEASURES.md for what each figure means and how to read it.

Estimators of the time saved per question (control − assisted, positive = time saved):

* the difference of medians of the time to send;
* the Hodges–Lehmann shift (median of all control − assisted differences);

each with a 95 % percentile bootstrap interval **clustered by agent** (an agent's questions are
resampled together: agents differ in speed and in how much the draft helps them, so questions of
one agent are not independent). The bootstrap is vectorised with numpy: agent resampling becomes a
matrix of weights (replicate × question) and both estimators are computed as weighted medians.

Cells (a topic, a week) from fewer than ``min_agents`` distinct agents in either arm are suppressed;
no function returns a pseudonym.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz

Arm = Literal["assisted", "control"]
OVERALL = "(tous thèmes)"
NOT_ENOUGH = "pas assez de données"
TOO_FEW_AGENTS = "moins de {n} agents distincts dans un des deux bras"
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Session:
    """One question, from its first draw to the text used (or to nothing).

    Times are in milliseconds. ``ms_to_send`` is None when no text was used (the draft was
    discarded and nothing was sent, or the question was left): such questions are counted but
    have no time to send. Regenerations and a retyped question (same agent, same question asked
    again shortly after) belong to the session of the first draw."""

    arm: Arm
    topic: str
    agent: str  # pseudonym; used only to cluster and to count distinct agents, never returned
    week: str  # ISO week of the first draw, e.g. "2026-W48"
    ms_to_send: int | None
    sources_open_ms: int = 0  # verification: time with at least one source open
    active_edit_ms: int = 0  # correction: editing time without the pauses
    edit_distance: float | None = None  # normalised draft → final (assisted, drafted, sent)
    discarded: bool = False  # at least one draft of the question was discarded
    discarded_ms: int = 0  # time spent on drafts finally discarded (false positives)
    regenerations: int = 0
    feedback_ms: int = 0  # time giving feedback outside the time to send (see MEASURES.md)
    thumbs_down: int = 0
    invented: int = 0  # thumbs-down with the reason « invented_source_or_fact »
    flags: int = 0  # flags shown on the drafts (things to check)
    retyped: bool = False  # the question was asked again as a new question (merged here)
    drafts: int = 1


# -- retyped questions --------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftLite:
    """What retype detection needs about a draft (no identity beyond the pseudonym)."""

    draft_id: str
    agent: str
    at: datetime  # when it was shown (or created)
    question: str  # masked question text
    sent: bool
    regeneration: bool  # regenerated_from is set: already part of its question


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def detect_retypes(
    drafts: Iterable[DraftLite], window_s: float = 600.0, threshold: float = 85.0
) -> dict[str, str]:
    """Pairs (later draft → earlier draft) where an agent asked the same question again as a new
    question within ``window_s`` seconds, the first one having led to no sent text. Similarity is
    rapidfuzz's token-set ratio on the masked texts (0–100) ≥ ``threshold``. Chains are followed:
    a third retype maps to the first draw."""
    by_agent: dict[str, list[DraftLite]] = {}
    for d in drafts:
        by_agent.setdefault(d.agent, []).append(d)
    parent: dict[str, str] = {}
    window = timedelta(seconds=window_s)
    for items in by_agent.values():
        items.sort(key=lambda d: d.at)
        # Normalised once per draft, not once per pair: an agent drafting back to back has many
        # drafts in one window, and the pairs grow with its square (2,000 drafts: 1.3 s → 0.65 s).
        norms = [_norm(d.question) for d in items]
        for i, later in enumerate(items):
            if later.regeneration:
                continue
            for j in range(i - 1, -1, -1):
                earlier = items[j]
                if later.at - earlier.at > window:
                    break
                if earlier.sent or earlier.regeneration:
                    continue
                if fuzz.token_set_ratio(norms[j], norms[i], score_cutoff=threshold) >= threshold:
                    parent[later.draft_id] = earlier.draft_id
                    break
    roots: dict[str, str] = {}
    for child in parent:
        root = parent[child]
        while root in parent:
            root = parent[root]
        roots[child] = root
    return roots


# -- vectorised weighted medians -----------------------------------------------------------------


def _weighted_median_rows(sorted_values: FloatArray, weights: FloatArray) -> FloatArray:
    """Lower weighted median of ``sorted_values`` for each row of ``weights`` (B × n)."""
    cum = np.cumsum(weights, axis=1)
    half = cum[:, -1:] / 2.0
    idx = np.argmax(cum >= half, axis=1)
    return sorted_values[idx]


def _hl_rows(
    control: FloatArray, assisted: FloatArray, wc: FloatArray, wa: FloatArray, tolerance: float = 0.005
) -> FloatArray:
    """Weighted Hodges–Lehmann shift per replicate: the weighted median of control_i − assisted_j
    with pair weights wc_i·wa_j, found by bisection on the shift (a count of pairs below a shift
    is one ``searchsorted`` per control value) to within ``tolerance`` (same unit as the values).
    ``control`` and ``assisted`` must be sorted."""
    b = wc.shape[0]
    cum_a = np.concatenate([np.zeros((b, 1)), np.cumsum(wa, axis=1)], axis=1)  # B × (n_a + 1)
    total = wc.sum(axis=1) * cum_a[:, -1]
    lo = np.full(b, control[0] - assisted[-1] - 1.0)
    hi = np.full(b, control[-1] - assisted[0] + 1.0)
    while float(np.max(hi - lo)) > tolerance:  # ≈ 20 halvings for an hour-wide range
        mid = (lo + hi) / 2.0
        # pairs with control_i − assisted_j ≤ mid  ⇔  assisted_j ≥ control_i − mid
        idx = np.searchsorted(assisted, control[None, :] - mid[:, None], side="left")
        above = cum_a[:, -1:] - np.take_along_axis(cum_a, idx, axis=1)
        count = (wc * above).sum(axis=1)
        ok = count >= total / 2.0
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    return hi


@dataclass(frozen=True)
class ShiftEstimate:
    """Seconds saved per question (control − assisted) by both estimators, with 95 % intervals."""

    median_difference: float
    median_difference_ci: tuple[float, float]
    hodges_lehmann: float
    hodges_lehmann_ci: tuple[float, float]
    median_control: float
    median_assisted: float
    n_control: int
    n_assisted: int
    agents: int
    se_hodges_lehmann: float
    se_median_difference: float

    def as_dict(self) -> dict[str, Any]:
        r = _round
        return {
            "median_difference_s": r(self.median_difference),
            "median_difference_ci95_s": [r(self.median_difference_ci[0]), r(self.median_difference_ci[1])],
            "hodges_lehmann_s": r(self.hodges_lehmann),
            "hodges_lehmann_ci95_s": [r(self.hodges_lehmann_ci[0]), r(self.hodges_lehmann_ci[1])],
            "median_control_s": r(self.median_control),
            "median_assisted_s": r(self.median_assisted),
            "n_control": self.n_control,
            "n_assisted": self.n_assisted,
            "agents": self.agents,
        }


def _round(x: float) -> float:
    return round(float(x), 1)


def shift_estimate(
    control_s: Sequence[float],
    control_agents: Sequence[str],
    assisted_s: Sequence[float],
    assisted_agents: Sequence[str],
    replicates: int = 1000,
    seed: int = 0,
    cluster: bool = True,
) -> ShiftEstimate:
    """Both estimators and their bootstrap intervals. ``cluster=False`` resamples questions
    independently (the naive bootstrap, kept to show what clustering changes)."""
    c = np.asarray(control_s, dtype=np.float64)
    a = np.asarray(assisted_s, dtype=np.float64)
    oc, oa = np.argsort(c, kind="stable"), np.argsort(a, kind="stable")
    c, a = c[oc], a[oa]
    agents = sorted(set(control_agents) | set(assisted_agents))
    index = {name: i for i, name in enumerate(agents)}
    gc = np.array([index[x] for x in control_agents], dtype=np.int64)[oc]
    ga = np.array([index[x] for x in assisted_agents], dtype=np.int64)[oa]
    rng = np.random.default_rng(seed)
    md = float(np.median(c) - np.median(a))
    if c.size * a.size <= 4_000_000:  # the usual definition (midpoint of an even count of pairs)
        hl = float(np.median((c[:, None] - a[None, :]).ravel()))
    else:
        hl = float(_hl_rows(c, a, np.ones((1, c.size)), np.ones((1, a.size)))[0])
    if cluster:
        k = len(agents)
        counts = rng.multinomial(k, np.full(k, 1.0 / k), size=replicates).astype(np.float64)
        wc, wa = counts[:, gc], counts[:, ga]
    else:
        wc = rng.multinomial(c.size, np.full(c.size, 1.0 / c.size), size=replicates).astype(np.float64)
        wa = rng.multinomial(a.size, np.full(a.size, 1.0 / a.size), size=replicates).astype(np.float64)
    # A replicate that drew no question of one arm (possible with very few agents) is dropped.
    keep = (wc.sum(axis=1) > 0) & (wa.sum(axis=1) > 0)
    wc, wa = wc[keep], wa[keep]
    boot_md = _weighted_median_rows(c, wc) - _weighted_median_rows(a, wa)
    boot_hl = _hl_rows(c, a, wc, wa)
    return ShiftEstimate(
        median_difference=md,
        median_difference_ci=_percentile_ci(boot_md),
        hodges_lehmann=hl,
        hodges_lehmann_ci=_percentile_ci(boot_hl),
        median_control=float(np.median(c)),
        median_assisted=float(np.median(a)),
        n_control=int(c.size),
        n_assisted=int(a.size),
        agents=len(agents),
        se_hodges_lehmann=float(np.std(boot_hl, ddof=1)) if boot_hl.size > 1 else math.nan,
        se_median_difference=float(np.std(boot_md, ddof=1)) if boot_md.size > 1 else math.nan,
    )


def _percentile_ci(values: FloatArray) -> tuple[float, float]:
    if values.size == 0:
        return (math.nan, math.nan)
    lo, hi = np.percentile(values, [2.5, 97.5])
    return (float(lo), float(hi))


# -- power ---------------------------------------------------------------------------------------

Z_975, Z_80 = 1.959964, 0.841621


def questions_needed(se_s: float, n_now: int, effect_s: float = 30.0) -> int | None:
    """Total questions (both arms, same mix of agents and arms) for a two-sided 5 % test to detect
    ``effect_s`` seconds with 80 % power, scaling the clustered bootstrap standard error as 1/√n."""
    if not (se_s > 0 and n_now > 0) or math.isnan(se_s):
        return None
    target_se = effect_s / (Z_975 + Z_80)
    return max(n_now, math.ceil(n_now * (se_s / target_se) ** 2))


def power_note(se_s: float, n_now: int, control_share: float, effect_s: float = 30.0) -> str:
    needed = questions_needed(se_s, n_now, effect_s)
    if needed is None:
        return (
            "Puissance : pas assez de données pour estimer combien de questions il faudrait "
            f"(effet de {effect_s:.0f} s)."
        )
    more = needed - n_now
    if more <= 0:
        return (
            f"Puissance : avec {n_now} questions, un effet de {effect_s:.0f} s serait détecté "
            "(test bilatéral à 5 %, puissance 80 %)."
        )
    return (
        f"Puissance : pour détecter un effet de {effect_s:.0f} s (5 %, puissance 80 %), il faudrait "
        f"environ {more} questions de plus (≈ {math.ceil(more * control_share)} dans le bras témoin), "
        f"soit {needed} au total."
    )


# -- cells ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    min_agents: int = 5  # distinct agents in EACH arm of a cell
    min_per_arm: int = 10  # questions with a time to send in each arm
    replicates: int = 1000
    seed: int = 0
    effect_s: float = 30.0  # the effect the power note is about


def time_saved_cell(
    sessions: Sequence[Session], rules: Rules = Rules(), label: str = OVERALL
) -> dict[str, Any]:
    """Time saved in one cell (any subset of sessions): both estimators, intervals, sizes, power."""
    sent = [s for s in sessions if s.ms_to_send is not None]
    ctrl = [s for s in sent if s.arm == "control"]
    asst = [s for s in sent if s.arm == "assisted"]
    agents_c, agents_a = {s.agent for s in ctrl}, {s.agent for s in asst}
    out: dict[str, Any] = {"cell": label, "questions": len(sessions)}
    if min(len(agents_c), len(agents_a)) < rules.min_agents:
        return {**out, "status": "masqué", "reason": TOO_FEW_AGENTS.format(n=rules.min_agents)}
    out.update(n_control=len(ctrl), n_assisted=len(asst), agents=len(agents_c | agents_a))
    out["no_send"] = {
        "control": sum(1 for s in sessions if s.arm == "control" and s.ms_to_send is None),
        "assisted": sum(1 for s in sessions if s.arm == "assisted" and s.ms_to_send is None),
    }
    if min(len(ctrl), len(asst)) < rules.min_per_arm:
        return {
            **out,
            "status": NOT_ENOUGH,
            "reason": f"moins de {rules.min_per_arm} questions envoyées dans un des deux bras",
        }
    est = shift_estimate(
        [s.ms_to_send / 1000.0 for s in ctrl if s.ms_to_send is not None],
        [s.agent for s in ctrl],
        [s.ms_to_send / 1000.0 for s in asst if s.ms_to_send is not None],
        [s.agent for s in asst],
        rules.replicates,
        rules.seed,
    )
    share = len(ctrl) / (len(ctrl) + len(asst))
    return {
        **out,
        "status": "ok",
        **est.as_dict(),
        "interval_excludes_zero": bool(est.hodges_lehmann_ci[0] > 0 or est.hodges_lehmann_ci[1] < 0),
        "power_note": power_note(est.se_hodges_lehmann, len(ctrl) + len(asst), share, rules.effect_s),
        "questions_needed_for_effect": questions_needed(
            est.se_hodges_lehmann, len(ctrl) + len(asst), rules.effect_s
        ),
    }


def quartiles(sessions: Sequence[Session], arm: Arm, min_agents: int = 5) -> dict[str, Any]:
    times = [s.ms_to_send / 1000.0 for s in sessions if s.arm == arm and s.ms_to_send is not None]
    agents = {s.agent for s in sessions if s.arm == arm and s.ms_to_send is not None}
    if len(agents) < min_agents or len(times) < 4:
        return {"arm": arm, "status": "masqué" if len(agents) < min_agents else NOT_ENOUGH}
    q1, q2, q3 = statistics.quantiles(times, n=4)
    return {
        "arm": arm,
        "status": "ok",
        "n": len(times),
        "q1_s": _round(q1),
        "median_s": _round(q2),
        "q3_s": _round(q3),
    }


# -- extra work ----------------------------------------------------------------------------------

EXTRA_PARTS = ("verification", "correction", "false_positives", "feedback")


@dataclass
class ExtraWork:
    """Machine-oriented extra work in the assisted arm, per assisted question."""

    questions: int = 0
    agents: set[str] = field(default_factory=set)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EXTRA_PARTS, 0.0))
    regenerations: int = 0
    thumbs_down: int = 0
    invented: int = 0
    flags: int = 0
    discarded: int = 0
    distances: list[float] = field(default_factory=list)
    time_to_send_s: float = 0.0  # sum over assisted questions with a time to send
    sent: int = 0


def extra_work(sessions: Sequence[Session], min_agents: int = 5) -> dict[str, Any]:
    """Composition of the extra work (seconds per assisted question, minutes in total, share of the
    assisted time to send). Verification and correction happen before sending: they are *inside*
    the time to send (a share of it). Time on drafts finally discarded and feedback given after
    sending are *outside* it: they are added to the time to send in the net effect."""
    w = ExtraWork()
    for s in sessions:
        if s.arm != "assisted":
            continue
        w.questions += 1
        w.agents.add(s.agent)
        w.seconds["verification"] += s.sources_open_ms / 1000.0
        w.seconds["correction"] += s.active_edit_ms / 1000.0
        w.seconds["false_positives"] += s.discarded_ms / 1000.0
        w.seconds["feedback"] += s.feedback_ms / 1000.0
        w.regenerations += s.regenerations
        w.thumbs_down += s.thumbs_down
        w.invented += s.invented
        w.flags += s.flags
        w.discarded += int(s.discarded)
        if s.edit_distance is not None:
            w.distances.append(s.edit_distance)
        if s.ms_to_send is not None:
            w.time_to_send_s += s.ms_to_send / 1000.0
            w.sent += 1
    if len(w.agents) < min_agents:
        return {"status": "masqué", "reason": f"moins de {min_agents} agents distincts"}
    n = w.questions
    mean_tts = w.time_to_send_s / w.sent if w.sent else math.nan
    per_q = {k: v / n for k, v in w.seconds.items()}
    return {
        "status": "ok",
        "assisted_questions": n,
        "agents": len(w.agents),
        "per_question_s": {k: _round(v) for k, v in per_q.items()},
        "total_minutes": {k: round(v / 60.0, 1) for k, v in w.seconds.items()},
        "share_of_assisted_time_to_send": {
            k: (round(v / mean_tts, 3) if mean_tts and not math.isnan(mean_tts) else None)
            for k, v in per_q.items()
        },
        "inside_time_to_send": ["verification", "correction"],
        "outside_time_to_send": ["false_positives", "feedback"],
        "mean_assisted_time_to_send_s": _round(mean_tts) if not math.isnan(mean_tts) else None,
        "regenerations_per_question": round(w.regenerations / n, 3),
        "discarded_share": round(w.discarded / n, 3),
        "thumbs_down_per_question": round(w.thumbs_down / n, 3),
        "invented_fact_or_source_per_question": round(w.invented / n, 3),
        "flags_per_question": round(w.flags / n, 3),
        "median_edit_distance": round(statistics.median(w.distances), 3) if w.distances else None,
    }


def net_effect(saved: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Net time saved per question = the Hodges–Lehmann shift minus the extra work outside the time
    to send (discarded drafts, feedback after sending), always with the composition beside it."""
    if saved.get("status") != "ok" or extra.get("status") != "ok":
        return {"status": NOT_ENOUGH}
    outside = sum(extra["per_question_s"][k] for k in extra["outside_time_to_send"])
    lo, hi = saved["hodges_lehmann_ci95_s"]
    return {
        "status": "ok",
        "net_saved_per_question_s": _round(saved["hodges_lehmann_s"] - outside),
        "net_ci95_s": [_round(lo - outside), _round(hi - outside)],
        "extra_outside_time_to_send_s": _round(outside),
        "composition_s": extra["per_question_s"],
    }


# -- weeks ---------------------------------------------------------------------------------------


def iso_week(moment: datetime | date) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> date:
    year, w = week.split("-W")
    return date.fromisocalendar(int(year), int(w), 1)


def weeks_ending(week: str, count: int) -> list[str]:
    start = week_start(week)
    return [iso_week(start - timedelta(weeks=i)) for i in range(count - 1, -1, -1)]


def measures(sessions: Sequence[Session], weeks: Sequence[str], rules: Rules = Rules()) -> dict[str, Any]:
    """All the figures for ``weeks`` (the last one is "this week"): per week and cumulated, per
    topic and overall; retype frequency; extra work; net effect. JSON-ready, no pseudonym."""
    in_range = [s for s in sessions if s.week in set(weeks)]
    topics = sorted({s.topic for s in in_range})

    def block(cell: Sequence[Session]) -> dict[str, Any]:
        overall = time_saved_cell(cell, rules, OVERALL)
        extra = extra_work(cell, rules.min_agents)
        return {
            "overall": overall,
            "per_topic": [time_saved_cell([s for s in cell if s.topic == t], rules, t) for t in topics],
            "quartiles": [
                quartiles(cell, "control", rules.min_agents),
                quartiles(cell, "assisted", rules.min_agents),
            ],
            "extra_work": extra,
            "net": net_effect(overall, extra),
            "retypes": retype_share(cell),
        }

    per_week = []
    for wk in weeks:
        cell = [s for s in in_range if s.week == wk]
        per_week.append({"week": wk, **block(cell)})
    cumulated = block(in_range) if len(weeks) > 1 else {k: v for k, v in per_week[0].items() if k != "week"}
    return {
        "weeks": list(weeks),
        "min_agents": rules.min_agents,
        "per_week": per_week,
        "cumulated": cumulated,
    }


def retype_share(sessions: Sequence[Session]) -> dict[str, Any]:
    ctrl = [s for s in sessions if s.arm == "control"]
    asst = [s for s in sessions if s.arm == "assisted"]
    rc, ra = sum(s.retyped for s in ctrl), sum(s.retyped for s in asst)
    return {
        "control_retyped": rc,
        "control_questions": len(ctrl),
        "control_share": round(rc / len(ctrl), 4) if ctrl else None,
        "assisted_retyped": ra,
        "assisted_questions": len(asst),
    }
