"""`gridgov migrate` (and `manage migrate`): Django's migrate, then the seeded roles
(``accounts.services.roles_sync``, idempotent), so every migrated database has its roles.

This overrides Django's own ``migrate`` (Django's documented way: an installed app's command of the
same name wins), so test databases, ``createadmin`` and ``demo`` get the roles too."""

from __future__ import annotations

from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS


class Command(migrate.Command):
    help = "apply database migrations and seed roles"

    def handle(self, *args, **options):
        super().handle(*args, **options)
        if options["plan"] or options["check_unapplied"] or options["database"] != DEFAULT_DB_ALIAS:
            return
        from gridgov.accounts.services import roles_sync

        roles = roles_sync()
        if options["verbosity"] >= 1:
            self.stdout.write(f"  roles: {len(roles)} seeded")
