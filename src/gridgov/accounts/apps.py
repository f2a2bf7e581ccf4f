from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = _("Accounts and jurisdiction")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from gridgov.accounts.middleware import stamp_login_time
        from gridgov.accounts.sessions import on_logged_in, on_logged_out

        # Session bookkeeping only (no business logic): every login, however made, starts the
        # absolute session clock and is listed among the user's sessions; a sign-out drops it.
        user_logged_in.connect(stamp_login_time, dispatch_uid="gridgov_stamp_login_time")
        user_logged_in.connect(on_logged_in, dispatch_uid="gridgov_session_started")
        user_logged_out.connect(on_logged_out, dispatch_uid="gridgov_session_forget")
