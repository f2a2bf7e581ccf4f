from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = _("Accounts and jurisdiction")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from gridgov.accounts.middleware import stamp_login_time

        # Session bookkeeping only (no business logic): every login, however made, starts the
        # absolute session clock.
        user_logged_in.connect(stamp_login_time, dispatch_uid="gridgov_stamp_login_time")
