"""What every metric here looks like, in the style of ragas' metric collections: a small object
with a ``name``, the dataset ``columns`` it reads (named like the dataset's columns) and
``score(row) -> float``. A score is NaN when it is undefined for that row (no reference, nothing
drafted…), never a silent 0; a row without one of the columns raises a ``ValueError`` naming it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

NAN = math.nan


class Metric(Protocol):
    name: str
    columns: tuple[str, ...]

    def score(self, row: Mapping[str, Any]) -> float: ...


def require(row: Mapping[str, Any], columns: tuple[str, ...], metric: str) -> None:
    """Raise a ``ValueError`` naming every column the metric needs and the row lacks."""
    missing = [c for c in columns if c not in row]
    if missing:
        raise ValueError(f"metric {metric!r} needs column(s) {', '.join(missing)}; the row has {sorted(row)}")


def is_blank(value: Any) -> bool:
    """None, an empty string or an empty list: the score is undefined."""
    return value is None or (isinstance(value, str | list | tuple) and len(value) == 0)
