"""The case workflow as data: states, actions and the transition table (pure, no Django).

Every (state, action) pair either appears in ``TRANSITIONS`` (allowed: target state and the
capability the actor needs) or is refused with 409 ``invalid_transition``. Actions whose target
equals the source (extension requests, supervision cards) still bump the version and append an
event row. docs/cases.md draws the table.
"""

from __future__ import annotations

from dataclasses import dataclass

# States (national 7 stages: 信息收集 → 案卷建立 → 任务派遣 → 任务处理 → 处理反馈 → 核查结案 → 综合评价)
REPORTED = "reported"        # 上报
ACCEPTED = "accepted"        # 受理
REJECTED = "rejected"        # 不予受理 / 作废 (also: merged as a duplicate)
REGISTERED = "registered"    # 立案
DISPATCHED = "dispatched"    # 已派遣 (waiting for the lead department to take it)
HANDLING = "handling"        # 处置中
HANDLED = "handled"          # 处置反馈 (waiting for the grid worker's check)
VERIFIED = "verified"        # 核查通过
CLOSED = "closed"            # 结案
EVALUATED = "evaluated"      # 已评价 (satisfaction callback done)
SUSPENDED = "suspended"      # 挂账 (long-term, clock stopped)

STATES: tuple[str, ...] = (REPORTED, ACCEPTED, REJECTED, REGISTERED, DISPATCHED, HANDLING, HANDLED,
                           VERIFIED, CLOSED, EVALUATED, SUSPENDED)
FINAL_STATES = frozenset({REJECTED, CLOSED, EVALUATED})
OPEN_STATES = frozenset(STATES) - FINAL_STATES

DISPATCH = "cases.dispatch"
HANDLE = "cases.handle"
EVALUATE = "cases.evaluate"

# Who acts: "centre" (dispatcher: capture scope over the case's grid for cases.dispatch; also the
# levels above it), "department" (member of the lead task's department, with cases.handle),
# "checker" (capture scope over the grid for cases.evaluate: grid worker, community, centre).
# Separation of duties (services._authorise): whoever reported a case never closes it nor records
# its satisfaction; satisfaction is a citizen's (OWN_REPORT_REFUSED, CITIZEN_CHANNELS).
OWN_REPORT_REFUSED = frozenset({"close", "evaluate"})


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    capability: str
    actor: str  # centre | department | checker


_T = Transition
_TABLE: tuple[Transition, ...] = (
    _T(REPORTED, "accept", ACCEPTED, DISPATCH, "centre"),
    _T(REPORTED, "reject", REJECTED, DISPATCH, "centre"),
    _T(REPORTED, "mark_duplicate", REJECTED, DISPATCH, "centre"),
    _T(ACCEPTED, "register", REGISTERED, DISPATCH, "centre"),
    _T(ACCEPTED, "reject", REJECTED, DISPATCH, "centre"),
    _T(ACCEPTED, "mark_duplicate", REJECTED, DISPATCH, "centre"),
    _T(REGISTERED, "dispatch", DISPATCHED, DISPATCH, "centre"),
    _T(DISPATCHED, "reassign", DISPATCHED, DISPATCH, "centre"),        # 改派 (new lead / assisting departments)
    _T(HANDLING, "reassign", DISPATCHED, DISPATCH, "centre"),
    _T(DISPATCHED, "recall", REGISTERED, DISPATCH, "centre"),           # 撤回 (back to the dispatch queue)
    _T(HANDLING, "recall", REGISTERED, DISPATCH, "centre"),
    _T(DISPATCHED, "start", HANDLING, HANDLE, "department"),
    _T(DISPATCHED, "send_back", REGISTERED, HANDLE, "department"),      # wrong department 退回
    _T(HANDLING, "send_back", REGISTERED, HANDLE, "department"),
    _T(DISPATCHED, "request_extension", DISPATCHED, HANDLE, "department"),
    _T(HANDLING, "request_extension", HANDLING, HANDLE, "department"),
    _T(DISPATCHED, "approve_extension", DISPATCHED, DISPATCH, "centre"),
    _T(HANDLING, "approve_extension", HANDLING, DISPATCH, "centre"),
    _T(DISPATCHED, "deny_extension", DISPATCHED, DISPATCH, "centre"),
    _T(HANDLING, "deny_extension", HANDLING, DISPATCH, "centre"),
    _T(HANDLING, "feedback", HANDLED, HANDLE, "department"),
    _T(HANDLED, "verify", VERIFIED, EVALUATE, "checker"),
    _T(HANDLED, "rework", HANDLING, EVALUATE, "checker"),               # 返工
    _T(VERIFIED, "close", CLOSED, DISPATCH, "centre"),                  # 结案: the registering centre only
    _T(CLOSED, "evaluate", EVALUATED, DISPATCH, "centre"),              # the citizen's satisfaction (回访)
    _T(DISPATCHED, "suspend", SUSPENDED, DISPATCH, "centre"),           # 挂账
    _T(HANDLING, "suspend", SUSPENDED, DISPATCH, "centre"),
    _T(SUSPENDED, "resume", HANDLING, DISPATCH, "centre"),
    _T(CLOSED, "reopen", REGISTERED, DISPATCH, "centre"),
    _T(EVALUATED, "reopen", REGISTERED, DISPATCH, "centre"),
    _T(REJECTED, "reopen", REPORTED, DISPATCH, "centre"),
    *(_T(s, "supervise", s, DISPATCH, "centre")                          # 督办 (yellow / red card)
      for s in (ACCEPTED, REGISTERED, DISPATCHED, HANDLING, HANDLED, VERIFIED, SUSPENDED)),
)

TRANSITIONS: dict[tuple[str, str], Transition] = {(t.source, t.action): t for t in _TABLE}
assert len(TRANSITIONS) == len(_TABLE), "duplicate (state, action) in the transition table"
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in _TABLE))

# The running stage of each state: its clock and time limit (None: no clock).
STAGE_OF_STATE: dict[str, str | None] = {
    REPORTED: "accept", ACCEPTED: "register", REGISTERED: "dispatch", DISPATCHED: "handle",
    HANDLING: "handle", HANDLED: "verify", VERIFIED: "close",
    CLOSED: None, EVALUATED: None, REJECTED: None, SUSPENDED: None,
}
STAGES: tuple[str, ...] = ("accept", "register", "dispatch", "handle", "verify", "close")


class TransitionRefused(Exception):
    def __init__(self, state: str, action: str):
        super().__init__(f"action {action!r} is not allowed in state {state!r}")
        self.state = state
        self.action = action


def resolve(state: str, action: str) -> Transition:
    """The transition for ``action`` in ``state``; ``TransitionRefused`` when the table has none.
    Unknown action names are the caller's validation problem (422), checked before this."""
    transition = TRANSITIONS.get((state, action))
    if transition is None:
        raise TransitionRefused(state, action)
    return transition


def actions_from(state: str) -> list[str]:
    return [t.action for t in _TABLE if t.source == state]


def open_status(state: str) -> str:
    """Open311 status: ``closed`` once resolved (closed, evaluated) or refused; else ``open``."""
    return "closed" if state in FINAL_STATES else "open"
