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
        from gridgov.accounts.stepup import stamp_on_login
        from gridgov.accounts.twofactor_middleware import note_enrolment_on_login

        # Session bookkeeping only (no business logic): every login, however made, starts the
        # absolute session clock, is listed among the user's sessions, counts as a step-up
        # confirmation (the password was just typed) and notes whether the user has an
        # authenticator to ask a code of; a sign-out drops it from the list.
        user_logged_in.connect(stamp_login_time, dispatch_uid="gridgov_stamp_login_time")
        user_logged_in.connect(on_logged_in, dispatch_uid="gridgov_session_started")
        user_logged_in.connect(stamp_on_login, dispatch_uid="gridgov_stepup_stamp_on_login")
        user_logged_in.connect(note_enrolment_on_login, dispatch_uid="gridgov_twofactor_note_enrolment")
        user_logged_out.connect(on_logged_out, dispatch_uid="gridgov_session_forget")
