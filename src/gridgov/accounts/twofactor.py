"""Two-factor sign-in: who must use it, TOTP enrolment, verification and recovery codes (django-otp).

Rule: a user needs a second factor when a role of an active membership holds a capability that
reveals or exports personal data (``*.reveal``, ``*.export``), opens care files (``care.*``) or
manages accounts (``accounts.manage``), or the user is a superuser. Whoever has enrolled is asked
for a code too. Until such a user has given a code in this session, ``TwoFactorMiddleware`` lets
them reach only the code page or (not enrolled yet) the enrolment page.

Devices are django-otp's: one ``TOTPDevice`` (RFC 6238, 6 digits, 30 s, one step of drift either
side, a code is never accepted twice: ``last_t``) and one ``StaticDevice`` holding the 10 recovery
codes. A recovery code is stored only as a keyed digest (HMAC-SHA256 under SECRET_KEY, 16 hex
digits), is shown once, and is deleted when used. Both devices throttle wrong codes (django-otp:
after the n-th consecutive failure the device refuses every code for 2^(n-1) seconds).

Every outcome is audited: enrolment (CREATE ``user.totp``), new recovery codes (CREATE
``user.recovery_codes``), a code accepted (LOGIN ``user.totp`` / ``user.recovery_code``), a code
refused (LOGIN_FAILED). The functions that verify a code are not one transaction: a refusal, its
audit row and the device's throttle counter are written even though the caller then refuses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.accounts.models import User
from gridgov.core.audit import audit_write
from gridgov.core.models import AuditAction, AuditOutcome

RECOVERY_CODE_COUNT = 10
PENDING_NAME = "pending"  # an enrolment begun, not confirmed by a code yet
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"

#: audit object types written here (accounts/labels.py names them)
OBJECT_TOTP = "user.totp"
OBJECT_RECOVERY = "user.recovery_code"
OBJECT_RECOVERY_SET = "user.recovery_codes"

_TOTP_RE = re.compile(r"\d{6}")
_RECOVERY_RE = re.compile(r"[a-z2-7]{8}")


# --- the rule --------------------------------------------------------------------------------

def capability_needs_two_factor(capability: str) -> bool:
    """Whether holding ``capability`` makes a second factor compulsory."""
    return (capability.endswith((".reveal", ".export")) or capability.startswith("care.")
            or capability == "accounts.manage")


def requires_two_factor(user: User) -> bool:
    """Must ``user`` sign in with a second factor? (superuser, or a role with a capability above)"""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(capability_needs_two_factor(c) for m in user.active_memberships() for c in m.role.capabilities)


def totp_device(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, if enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- enrolment -------------------------------------------------------------------------------

def secret_base32(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it when typed in (base32, groups of four)."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def provisioning_uri(device: TOTPDevice) -> str:
    """``otpauth://totp/gridgov:<user>?secret=…&issuer=gridgov`` (the QR code's content)."""
    return device.config_url


def qr_svg(device: TOTPDevice) -> bytes:
    """The provisioning URI as an SVG QR code, made here (segno), nothing fetched."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(provisioning_uri(device), error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False,
                                                         svgns=True, title="", dark="#1f2937")
    return out.getvalue()


@transaction.atomic
def totp_enrolment_begin(*, user: User) -> TOTPDevice:
    """The pending authenticator of ``user`` (a fresh random secret, made once and kept until the
    enrolment is confirmed, so reloading the page does not change the QR code)."""
    device = (TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False, name=PENDING_NAME)
              .order_by("id").first())
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=PENDING_NAME, confirmed=False)
    return device


def totp_enrolment_pending(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False, name=PENDING_NAME).order_by("id").first()


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]  # shown once, stored only as digests


def totp_enrolment_confirm(*, user: User, code: str) -> Enrolled | None:
    """Confirm the pending authenticator with a code from the app. Right: it replaces any earlier
    authenticator, 10 new recovery codes replace the old ones (returned once), audited CREATE.
    Wrong (or throttled, or nothing pending): None, audited LOGIN_FAILED."""
    code = normalise_code(code)
    with transaction.atomic():
        device = (TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False, name=PENDING_NAME)
                  .order_by("id").first())
        ok = device is not None and bool(_TOTP_RE.fullmatch(code)) and device.verify_token(code)
        if device is not None and not ok and not _TOTP_RE.fullmatch(code):
            device.throttle_increment(commit=True)
    if device is None or not ok:
        _audit_refused(user, OBJECT_TOTP, "wrong authenticator code at enrolment" if device is not None
                       else "no enrolment in progress")
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.name = TOTP_NAME
        device.save(update_fields=["confirmed", "name"])
        audit_write(AuditAction.CREATE, actor=user, object_type=OBJECT_TOTP, object_id=user.pk,
                    reason="authenticator enrolled")
        codes = _recovery_codes_replace(user)
    return Enrolled(device=device, recovery_codes=codes)


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code: HMAC-SHA256 under SECRET_KEY, first 16 hex digits (the
    field of django-otp's StaticToken holds 16 characters)."""
    return hmac.new(settings.SECRET_KEY.encode(), normalise_code(code).encode(), hashlib.sha256).hexdigest()[:16]


def _recovery_codes_replace(user: User) -> list[str]:
    # the same device keeps its id (a session verified with a recovery code stays verified)
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticToken.objects.filter(device__user=user).delete()
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()  # 8 characters of base32: 40 random bits
        if _RECOVERY_RE.fullmatch(code) and code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_digest(c)) for c in codes])
    audit_write(AuditAction.CREATE, actor=user, object_type=OBJECT_RECOVERY_SET, object_id=user.pk,
                changes={"count": len(codes)})
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """10 new recovery codes for an enrolled user (the old ones stop working); returned once."""
    if not is_enrolled(user):
        from gridgov.core.errors import Conflict

        raise Conflict("enrol an authenticator first", code="not_enrolled")
    return _recovery_codes_replace(user)


# --- verification ----------------------------------------------------------------------------

def normalise_code(code: str | None) -> str:
    """Spaces and hyphens dropped, lower case: ``123 456`` -> ``123456``, ``ABCD-EFGH`` -> ``abcdefgh``."""
    return re.sub(r"[\s-]+", "", code or "").lower()[:32]


@dataclass(frozen=True)
class Verified:
    device: TOTPDevice | StaticDevice
    recovery: bool  # a recovery code was used (and is gone)
    recovery_left: int


def second_factor_verify(*, user: User, code: str, purpose: str = "sign-in") -> Verified | None:
    """Check a 6-digit authenticator code or an 8-character recovery code of ``user``.

    A code accepted once is never accepted again (TOTP: not at the same or an earlier time step;
    recovery: deleted). Wrong codes are throttled by the device. Audited either way; ``purpose``
    ("sign-in" or "step-up") is the audit row's reason."""
    code = normalise_code(code)
    device: TOTPDevice | StaticDevice | None = None
    recovery = False
    throttled = False
    with transaction.atomic():
        if _TOTP_RE.fullmatch(code):
            candidate = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("-id").first()
            if candidate is not None:
                throttled = not candidate.verify_is_allowed()[0]
                if candidate.verify_token(code):
                    device = candidate
        elif _RECOVERY_RE.fullmatch(code):
            static = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if static is not None:
                throttled = not static.verify_is_allowed()[0]
                if static.verify_token(recovery_digest(code)):
                    device, recovery = static, True
        else:  # not a code's shape: count it against the authenticator's throttle all the same
            candidate = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("-id").first()
            if candidate is not None:
                throttled = not candidate.verify_is_allowed()[0]
                candidate.throttle_increment(commit=True)
    if device is None:
        if throttled:
            _audit_throttled(user, purpose)
        else:
            _audit_refused(user, OBJECT_TOTP, f"{purpose}: wrong second-factor code")
        return None
    left = recovery_codes_left(user)
    if recovery:
        audit_write(AuditAction.LOGIN, actor=user, object_type=OBJECT_RECOVERY, object_id=user.pk,
                    reason=f"{purpose}: recovery code used", changes={"recovery_codes_left": left})
    else:
        audit_write(AuditAction.LOGIN, actor=user, object_type=OBJECT_TOTP, object_id=user.pk,
                    reason=f"{purpose}: authenticator code")
    return Verified(device=device, recovery=recovery, recovery_left=left)


def throttle_wait_seconds(user: User) -> int:
    """Seconds until the authenticator accepts a code again (0: now)."""
    import math

    from django.utils import timezone

    device = totp_device(user)
    if device is None:
        return 0
    allowed, info = device.verify_is_allowed()
    if allowed or not info or not info.get("locked_until"):
        return 0
    return max(1, math.ceil((info["locked_until"] - timezone.now()).total_seconds()))


def _audit_throttled(user: User, purpose: str) -> None:
    """A code sent while the device refuses every code (after wrong ones): one ``denied`` row per
    user in GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS, so that hammering the page cannot flood the audit
    table (each wrong code before it is a row of its own; their number is bounded by the doubling
    wait)."""
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.core.models import AuditEvent

    window = settings.GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS
    if window > 0 and AuditEvent.objects.filter(
            actor_id=user.pk, action=AuditAction.LOGIN_FAILED, object_type=OBJECT_TOTP,
            outcome=AuditOutcome.DENIED, at__gte=timezone.now() - timedelta(seconds=window)).exists():
        return
    audit_write(AuditAction.LOGIN_FAILED, actor=user, object_type=OBJECT_TOTP, object_id=user.pk,
                outcome=AuditOutcome.DENIED, reason=f"{purpose}: too many wrong codes, refused while waiting")


def _audit_refused(user: User, object_type: str, reason: str) -> None:
    audit_write(AuditAction.LOGIN_FAILED, actor=user, object_type=object_type, object_id=user.pk,
                outcome=AuditOutcome.FAILURE, reason=reason)


# --- demo ------------------------------------------------------------------------------------

def totp_enrol_with_secret(*, user: User, secret_base32_text: str) -> TOTPDevice:
    """Enrol ``user`` with a given base32 secret (the demo's documented one; not for real users).
    Idempotent; audited CREATE when it creates the device. No recovery codes."""
    from base64 import b32decode

    raw = secret_base32_text.replace(" ", "").upper()
    key = b32decode(raw + "=" * (-len(raw) % 8)).hex()
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key).first()
        if device is None:
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True, key=key)
            audit_write(AuditAction.CREATE, actor=None, object_type=OBJECT_TOTP, object_id=user.pk,
                        reason="demo authenticator (documented demo secret)")
    return device
