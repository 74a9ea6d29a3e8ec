"""Did-you-mean suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    pool = sorted(set(candidates))
    by_case = {c.lower(): c for c in pool}
    if name.lower() in by_case:
        return by_case[name.lower()]
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str], what: str = "") -> str | None:
    """A hint naming the nearest candidate, or listing the few that exist."""
    pool = sorted(set(candidates))
    match = closest(name, pool)
    if match:
        return f"did you mean '{match}'?"
    if not pool:
        return f"no {what} is defined" if what else None
    shown = ", ".join(f"'{c}'" for c in pool[:6]) + (", ..." if len(pool) > 6 else "")
    return f"known {what + ' ' if what else ''}names: {shown}"
