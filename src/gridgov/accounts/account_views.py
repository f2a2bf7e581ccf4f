"""Pages of one's own account (password change, sign-in sessions) and the administrators' user
pages (reset a password, end a user's sessions). Thin: parse, call a service, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import passwords, sessions
from gridgov.accounts.labels import jurisdiction_names
from gridgov.accounts.models import Membership, User
from gridgov.accounts.scope import require_capability
from gridgov.core.errors import FieldError
from gridgov.core.i18n import message_of
from gridgov.core.pages import page_view


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=gettext_lazy("Current password"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password", "autofocus": True}))
    new_password1 = forms.CharField(label=gettext_lazy("New password"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=gettext_lazy("New password again"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean() or {}
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@page_view
@require_http_methods(["GET", "POST"])
def password_change(request):
    """修改密码: every signed-in user; the only page a user whose password was reset may open."""
    user = request.user
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            old_key = request.session.session_key
            try:
                passwords.password_change(user=user, old_password=form.cleaned_data["old_password"],
                                          new_password=form.cleaned_data["new_password1"], keep_session_key=old_key)
            except FieldError as exc:
                detail = exc.details[0] if exc.details else None
                field = detail.field if detail is not None and detail.field in form.fields else None
                form.add_error(field, message_of(detail) if detail is not None else _(exc.message))
            else:
                update_session_auth_hash(request, user)  # this session stays signed in (new key)
                sessions.session_rekeyed(old_key=old_key, request=request)
                return render(request, "accounts/password_change_done.html", {"next": _safe_next(request)})
        status = 400
    return render(request, "accounts/password_change.html", {
        "form": form, "forced": user.must_change_password, "policy": passwords.policy_help(),
        "next": _safe_next(request)}, status=status)


def _session_rows(rows, current_key: str | None) -> list[dict]:
    return [{"id": r.pk, "current": r.session_key == current_key, "agent": sessions.user_agent_label(r.user_agent),
             "user_agent": r.user_agent, "ip": r.ip or "", "created_at": r.created_at,
             "last_seen_at": r.last_seen_at} for r in rows]


@never_cache
@page_view
@require_GET
def session_list(request):
    """我的登录会话: the user's live sessions, with 退出所有其他会话."""
    current = request.session.session_key
    rows = _session_rows(sessions.session_list(request.user), current)
    return render(request, "accounts/sessions.html", {"rows": rows, "others": sum(not r["current"] for r in rows)})


@never_cache
@page_view
@require_POST
def session_end_others(request):
    ended = sessions.sessions_end_other(user=request.user, current_key=request.session.session_key)
    messages.success(request, _("Signed out of %(n)d other sessions.") % {"n": ended})
    return redirect("accounts:sessions")


@never_cache
@page_view
@require_POST
def session_end(request, session_id: int):
    sessions.session_end_own(user=request.user, session_id=session_id, current_key=request.session.session_key)
    messages.success(request, _("The session was signed out."))
    return redirect("accounts:sessions")


# --- administrators (accounts.manage) -------------------------------------------------------------

USERS_PAGE = 50


def _role_lines(every: list[Membership] | None, mine: list[Membership]) -> list[dict]:
    """Role name, jurisdiction name and code of each membership (names looked up once for ``every``)."""
    names = jurisdiction_names({m.jurisdiction for m in (every if every is not None else mine)})
    return [{"role": m.role.name, "place": names.get(m.jurisdiction, ""), "code": m.jurisdiction,
             "search": m.scope == Membership.Scope.SEARCH} for m in mine]


@never_cache
@page_view
@require_GET
def user_list(request):
    """用户管理: the users the administrator manages, searchable by user name or display name."""
    require_capability(request.user, "accounts.manage")
    query = (request.GET.get("q") or "").strip()[:150]
    users = User.objects.filter(passwords.managed_users(request.user))
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    users = users.prefetch_related("memberships__role").order_by("username")
    total = users.count()
    shown = list(users[:USERS_PAGE])
    roles = {u.pk: [m for m in u.memberships.all() if m.active] for u in shown}
    rows = [{"user": u, "roles": _role_lines([m for ms in roles.values() for m in ms], roles[u.pk])} for u in shown]
    return render(request, "accounts/users.html", {"rows": rows, "q": query, "total": total, "shown": len(rows)})


@never_cache
@page_view
@require_GET
def user_detail(request, user_id: int):
    """One user: roles, lock, password state, sessions; reset the password, end the sessions."""
    target = passwords.managed_user_get(request.user, user_id)
    return render(request, "accounts/user_detail.html", {
        "target": target, "roles": _role_lines(None, list(target.memberships.filter(active=True).select_related("role"))),
        "rows": _session_rows(sessions.session_list(target), None)})


@sensitive_post_parameters()
@never_cache
@page_view
@require_POST
def user_password_reset(request, user_id: int):
    """Give the user a temporary password (shown once, here) that must be changed at sign-in."""
    temporary = passwords.password_reset(actor=request.user, user_id=user_id)
    target = passwords.managed_user_get(request.user, user_id)
    return render(request, "accounts/password_reset_done.html", {
        "target": target, "temporary": temporary, "back": reverse("accounts:user_detail", args=[user_id])})


@never_cache
@page_view
@require_POST
def user_sessions_end(request, user_id: int):
    ended = sessions.sessions_end_by_admin(actor=request.user, user_id=user_id)
    messages.success(request, _("Signed out of %(n)d sessions.") % {"n": ended})
    return redirect("accounts:user_detail", user_id=user_id)
