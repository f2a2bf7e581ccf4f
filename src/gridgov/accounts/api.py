from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gridgov.accounts import selectors, services, stepup
from gridgov.core.pagination import BoundedLimitOffsetPagination

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    role: str
    role_name: str
    jurisdiction: str
    scope: str
    capabilities: list[str]


class MeOut(Schema):
    username: str
    display_name: str
    memberships: list[MembershipOut]


@router.get("/me", response=MeOut)
def me(request):
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "memberships": [
            {"role": m.role.code, "role_name": m.role.name, "jurisdiction": m.jurisdiction, "scope": m.scope,
             "capabilities": m.role.capabilities}
            for m in user.active_memberships()
        ],
    }


class TokenIn(Schema):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=1, max_length=64)
    days: int = Field(90, ge=1, le=366)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str


@router.get("/tokens", response=list[TokenOut])
def token_list(request):
    return list(selectors.token_list(request.user))


@router.post("/tokens", response={201: TokenCreated})
def token_create(request, payload: TokenIn):
    token, raw = services.token_create(user=request.user, name=payload.name, days=payload.days)
    return 201, {**TokenOut.from_orm(token).dict(), "token": raw}


@router.delete("/tokens/{token_id}", response={204: None})
def token_revoke(request, token_id: int):
    services.token_revoke(actor=request.user, token_id=token_id)
    return 204, None


class ConfirmIn(Schema):
    model_config = {"extra": "forbid"}
    password: str = Field("", max_length=4096)
    code: str = Field("", max_length=32)


class ConfirmOut(Schema):
    confirmed_until: datetime


@router.post("/confirm", response=ConfirmOut,
             summary="Step-up: confirm the password or an authenticator code (for reveal and export)")
def confirm(request, payload: ConfirmIn):
    """A confirmation lasts GRIDGOV_STEPUP_MINUTES for this session (or this API token). Wrong: 403
    ``confirmation_failed`` (a wrong password counts towards the sign-in lockout)."""
    from datetime import UTC

    from gridgov.core.errors import Forbidden, ValidationFailed

    if not payload.password and not payload.code.strip():
        raise ValidationFailed("give password or code", code="validation_error")
    if not stepup.confirm(request, password=payload.password, code=payload.code):
        raise Forbidden("the password or code is not correct", code="confirmation_failed")
    until = stepup.clock() + stepup.window_seconds()
    return {"confirmed_until": datetime.fromtimestamp(until, tz=UTC)}


class AuditOut(Schema):
    id: int
    at: datetime
    actor_username: str
    role: str
    jurisdiction: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    reason: str
    request_id: str
    changes: dict


@router.get("/audit", response=list[AuditOut])
@paginate(BoundedLimitOffsetPagination)
def audit_list(request, action: str | None = None, actor: str | None = None):
    return selectors.audit_list(request.user, action=action, actor_username=actor)
