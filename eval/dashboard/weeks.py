"""ISO weeks (« 2026-W48 ») and their bounds. Weeks are cut in UTC: a draft belongs to the week of
its ``created_at`` and brings its events with it (a draft of Sunday night sent on Monday stays in
the week it was asked)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

WEEK_PATTERN = r"^\d{4}-W\d{2}$"


def week_of(moment: datetime | date) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def current_week(now: datetime | None = None) -> str:
    return week_of(now or datetime.now(UTC))


def bounds(week: str) -> tuple[datetime, datetime]:
    """``2026-W48`` → [Monday 00:00 UTC, next Monday 00:00 UTC). ValueError on a malformed week."""
    match = re.match(r"^(\d{4})-W(\d{2})$", week)
    if not match:
        raise ValueError(f"week {week!r}: expected YYYY-Www / semaine attendue au format AAAA-Sss")
    monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    return start, start + timedelta(days=7)


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
