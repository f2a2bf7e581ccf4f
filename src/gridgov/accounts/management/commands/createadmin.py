"""`gridgov createadmin [--username U] [--jurisdiction P]`: the first city administrator (migrates
first). The password comes from GRIDGOV_ADMIN_PASSWORD when set, else it is asked for."""

from __future__ import annotations

import getpass

from django.conf import settings
from django.core.management import call_command

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "create a city administrator"

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--jurisdiction", default="31", help="code prefix (default 31)")

    def run(self, *, username, jurisdiction, **options) -> int:
        from django.utils.translation import gettext as _

        from gridgov.accounts import services
        from gridgov.core.errors import GridgovError
        from gridgov.core.i18n import api_text

        call_command("migrate", interactive=False, verbosity=0)
        username = username or input("Username: ").strip()
        password = settings.GRIDGOV_ADMIN_PASSWORD or getpass.getpass("Password (>= 12 characters): ")
        try:
            user = services.user_create(username=username, password=password, is_staff=True, is_superuser=False)
            services.membership_grant(user=user, role_code="city_admin", jurisdiction=jurisdiction)
        except GridgovError as exc:
            self.error(api_text(exc))
            return 2
        self.stdout.write(_("created administrator %(user)s (city_admin @ %(jurisdiction)s)")
                          % {"user": user.username, "jurisdiction": jurisdiction})
        return 0
