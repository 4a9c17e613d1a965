"""ISO weeks (« 2026-W48 ») and their bounds, cut in UTC — shared by the representatives' journal and
the leads' dashboard (eval.dashboard.weeks re-exports them)."""

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
