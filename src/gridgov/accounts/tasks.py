"""Background tasks of accounts: dropping the rows of sign-in sessions that ended by themselves."""

from __future__ import annotations

from django_tasks import task

from gridgov.core.worker import periodic


@periodic(every=3600, name="sign-in sessions pruning")
@task()
def prune_sign_in_sessions() -> dict:
    """Rows of sessions past the idle or absolute limit (accounts.sessions.sessions_prune)."""
    from gridgov.accounts.sessions import sessions_prune

    return {"deleted": sessions_prune()}
