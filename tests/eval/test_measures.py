"""Time saved and extra work, on simulated weeks with a known truth (pure: no store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from eval.measures import (
    DraftLite,
    Rules,
    Session,
    _hl_rows,
    detect_retypes,
    extra_work,
    measures,
    questions_needed,
    shift_estimate,
    time_saved_cell,
    weeks_ending,
)
from eval.simulate_sessions import SimConfig, sessions, simulate, simulate_week, true_effects

WEEK = "2026-W48"


@pytest.fixture(scope="module")
def truth() -> dict[str, dict[str, float]]:
    return true_effects(SimConfig(), n=400_000)


def test_hodges_lehmann_is_the_median_of_pairwise_differences() -> None:
    rng = np.random.default_rng(3)
    c, a = np.sort(rng.lognormal(5, 0.5, 31)), np.sort(rng.lognormal(4.8, 0.5, 57))
    pairs = np.sort((c[:, None] - a[None, :]).ravel())
    lower_median = pairs[(pairs.size - 1) // 2]
    got = _hl_rows(c, a, np.ones((1, c.size)), np.ones((1, a.size)), tolerance=1e-9)[0]
    assert got == pytest.approx(lower_median, abs=1e-6)


def test_the_estimates_recover_the_known_truth_on_a_seeded_week(truth: dict[str, dict[str, float]]) -> None:
    ss = sessions(simulate_week(WEEK, SimConfig(), seed=11))
    for topic in ("conges", "paie", "temps-de-travail"):
        cell = time_saved_cell([s for s in ss if s.topic == topic], Rules(), topic)
        assert cell["status"] == "ok"
        for estimator in ("median_difference", "hodges_lehmann"):
            lo, hi = cell[f"{estimator}_ci95_s"]
            assert lo <= truth[topic][estimator] <= hi, (topic, estimator, lo, hi, truth[topic])


def test_the_clustered_interval_is_wider_than_the_naive_one_when_agents_differ() -> None:
    config = SimConfig(agents=12, questions_per_agent=120, agent_effect_sd_s=40.0, control_share=0.3)
    ss = [s for s in sessions(simulate_week(WEEK, config, seed=5)) if s.ms_to_send is not None]
    ctrl = [s for s in ss if s.arm == "control"]
    asst = [s for s in ss if s.arm == "assisted"]
    args = (
        [s.ms_to_send / 1000 for s in ctrl if s.ms_to_send],
        [s.agent for s in ctrl],
        [s.ms_to_send / 1000 for s in asst if s.ms_to_send],
        [s.agent for s in asst],
    )
    clustered = shift_estimate(*args, replicates=800, seed=1, cluster=True)
    naive = shift_estimate(*args, replicates=800, seed=1, cluster=False)
    width = lambda ci: ci[1] - ci[0]  # noqa: E731
    assert width(clustered.hodges_lehmann_ci) > 1.3 * width(naive.hodges_lehmann_ci)
    assert width(clustered.median_difference_ci) > width(naive.median_difference_ci)
    assert clustered.hodges_lehmann == naive.hodges_lehmann  # same point estimate


def test_cells_from_fewer_than_five_agents_are_masked() -> None:
    ss = sessions(simulate_week(WEEK, SimConfig(agents=4, questions_per_agent=200), seed=2))
    result = measures(ss, [WEEK])
    week = result["per_week"][0]
    assert week["overall"]["status"] == "masqué"
    assert all(cell["status"] == "masqué" for cell in week["per_topic"])
    assert week["extra_work"]["status"] == "masqué"
    assert all(q["status"] == "masqué" for q in week["quartiles"])
    assert "median_difference_s" not in week["overall"]
    # five agents in each arm: shown
    ss5 = sessions(
        simulate_week(WEEK, SimConfig(agents=6, questions_per_agent=120, control_share=0.3), seed=2)
    )
    assert measures(ss5, [WEEK])["per_week"][0]["overall"]["status"] == "ok"


def test_not_enough_data_is_said_not_guessed() -> None:
    ss = sessions(simulate_week(WEEK, SimConfig(agents=8, questions_per_agent=6), seed=4))
    cell = time_saved_cell(ss, Rules(min_per_arm=10))
    assert cell["status"] in ("pas assez de données", "masqué")
    assert "hodges_lehmann_s" not in cell


def test_no_pseudonym_leaves_the_measures() -> None:
    ss = sessions(simulate(WEEK, weeks=2, seed=3))
    text = repr(measures(ss, weeks_ending(WEEK, 2), Rules(replicates=200)))
    assert "agent-" not in text


def test_retyped_questions_are_detected_within_the_window_only() -> None:
    t0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
    q = "Combien de jours de congés pour un mariage ?"
    drafts = [
        DraftLite("c1", "a", t0, q, sent=False, regeneration=False),  # control, left
        DraftLite("r1", "a", t0 + timedelta(seconds=40), "Je repose : " + q.lower(), False, False),
        DraftLite("r2", "a", t0 + timedelta(seconds=90), "je repose encore : " + q, True, False),
        DraftLite("x", "b", t0 + timedelta(seconds=50), q, True, False),  # another agent
        DraftLite("late", "a", t0 + timedelta(hours=2), q, True, False),  # outside the window
        DraftLite(
            "other", "a", t0 + timedelta(seconds=60), "Quel est le montant de la prime de nuit ?", True, False
        ),
    ]
    assert detect_retypes(drafts, window_s=600) == {"r1": "c1", "r2": "c1"}


def test_extra_work_composition_and_net_effect() -> None:
    base = Session("assisted", "t", "a", WEEK, 100_000, 20_000, 30_000, 0.2, flags=1)
    ss = [replace(base, agent=f"a{i}") for i in range(5)]
    ss += [replace(base, agent="a0", ms_to_send=None, discarded=True, discarded_ms=50_000)]
    ss += [replace(base, agent="a1", feedback_ms=30_000, thumbs_down=1, invented=1)]
    w = extra_work(ss)
    assert w["status"] == "ok" and w["assisted_questions"] == 7
    assert w["per_question_s"]["false_positives"] == pytest.approx(50 / 7, abs=0.05)
    assert w["per_question_s"]["feedback"] == pytest.approx(30 / 7, abs=0.05)
    assert w["share_of_assisted_time_to_send"]["verification"] == pytest.approx((20 * 7 / 7) / 100, abs=0.01)
    assert w["invented_fact_or_source_per_question"] == pytest.approx(1 / 7, abs=0.001)


def test_power_note_asks_for_more_questions_when_the_interval_is_wide() -> None:
    assert questions_needed(30.0, 500) > questions_needed(10.0, 500)  # type: ignore[operator]
    assert questions_needed(5.0, 500) == 500
    assert questions_needed(float("nan"), 500) is None
