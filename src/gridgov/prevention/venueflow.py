"""The inspection closed loop as an explicit transition table (pure: no Django).

    passed        (terminal: nothing to rectify)
    rectifying  --report-->  submitted  --accept-->  closed (terminal)
                                        --reject-->  rectifying
    rectifying  --expire-->  overdue    --report-->  submitted

``expire`` is taken by the daily sweep once the rectification deadline has passed.
"""

from __future__ import annotations

PASSED, RECTIFYING, SUBMITTED, CLOSED, OVERDUE = "passed", "rectifying", "submitted", "closed", "overdue"
STATES = (PASSED, RECTIFYING, SUBMITTED, CLOSED, OVERDUE)
ACTIONS = ("report", "accept", "reject", "expire")

TRANSITIONS: dict[tuple[str, str], str] = {
    (RECTIFYING, "report"): SUBMITTED,
    (OVERDUE, "report"): SUBMITTED,
    (SUBMITTED, "accept"): CLOSED,
    (SUBMITTED, "reject"): RECTIFYING,
    (RECTIFYING, "expire"): OVERDUE,
}
OPEN_STATES = (RECTIFYING, SUBMITTED, OVERDUE)


def next_state(state: str, action: str) -> str | None:
    """The state after ``action`` from ``state``, or None when the table has no such step."""
    return TRANSITIONS.get((state, action))
