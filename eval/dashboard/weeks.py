"""ISO weeks (« 2026-W48 ») and their bounds. Weeks are cut in UTC: a draft belongs to the week of
its ``created_at`` and brings its events with it (a draft of Sunday night sent on Monday stays in
the week it was asked)."""

from __future__ import annotations

from datetime import timedelta

from feedback.weeks import WEEK_PATTERN, bounds, current_week, week_of

__all__ = ["WEEK_PATTERN", "bounds", "current_week", "french_label", "last_weeks", "shift", "week_of"]


def shift(week: str, weeks: int) -> str:
    return week_of(bounds(week)[0] + timedelta(weeks=weeks))


def last_weeks(until: str, n: int) -> list[str]:
    """The ``n`` weeks ending with ``until``, oldest first."""
    return [shift(until, -k) for k in range(n - 1, -1, -1)]


def french_label(week: str) -> str:
    """« semaine 48 de 2026 (du 23/11 au 29/11) »."""
    start, end = bounds(week)
    last = end - timedelta(days=1)
    return f"semaine {int(week[-2:])} de {week[:4]} (du {start:%d/%m} au {last:%d/%m})"
