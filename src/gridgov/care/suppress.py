"""Small-cell suppression of published statistics (pure: no Django).

A count under the threshold (default 5, zero included) is not published. When a row or column has
exactly one suppressed cell and its total is published, the smallest other cell of that line is
suppressed too, so the hidden value cannot be recovered by subtraction (secondary suppression).
A total under the threshold is itself suppressed.
"""

from __future__ import annotations

THRESHOLD = 5


def suppress_table(counts: list[list[int]], threshold: int = THRESHOLD) -> list[list[int | None]]:
    """Rows x columns of counts -> the same shape with suppressed cells as None."""
    n_rows = len(counts)
    n_cols = len(counts[0]) if counts else 0
    hidden = [[c < threshold for c in row] for row in counts]

    def secondary(cells: list[tuple[int, int]]) -> bool:
        flagged = [(r, c) for r, c in cells if hidden[r][c]]
        if len(flagged) != 1:
            return False
        others = [(counts[r][c], r, c) for r, c in cells if not hidden[r][c]]
        if not others:
            return False
        _, r, c = min(others)
        hidden[r][c] = True
        return True

    changed = True
    while changed:
        changed = False
        for r in range(n_rows):
            changed |= secondary([(r, c) for c in range(n_cols)])
        for c in range(n_cols):
            changed |= secondary([(r, c) for r in range(n_rows)])
    return [[None if hidden[r][c] else counts[r][c] for c in range(n_cols)] for r in range(n_rows)]
