"""Per-request context (request id, actor, client address) for the audit writer.

Set by ``RequestContextMiddleware`` for web requests and by the CLI for commands; read by
``core.audit.audit_write`` so services need not pass the request around.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None
    channel: str = "web"  # web | api | cli | worker


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("gridgov_ctx", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext(request_id=uuid.uuid4().hex, channel="cli")
        _current.set(ctx)
    return ctx


@contextmanager
def bind(**fields) -> Iterator[RequestContext]:
    base = _current.get() or RequestContext(request_id=uuid.uuid4().hex)
    ctx = replace(base, **fields)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
