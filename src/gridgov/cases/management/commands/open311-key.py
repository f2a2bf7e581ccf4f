"""`gridgov open311-key create NAME [--per-hour N]` / `revoke ID`."""

from __future__ import annotations

from gridgov.core.management.base import GridgovCommand


class Command(GridgovCommand):
    help = "create (prints the key once) or revoke an Open311 api_key"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke"])
        parser.add_argument("name", help="a name for the key (create) or its id (revoke)")
        parser.add_argument("--per-hour", type=int, default=None, metavar="N",
                            help="create: cases the key may submit in any hour (default 600; 0 = unlimited)")

    def run(self, *, action, name, per_hour, **options) -> int:
        from django.utils.translation import gettext as _

        from gridgov.cases import services
        from gridgov.core.errors import GridgovError
        from gridgov.core.i18n import api_text

        if action == "create":
            try:
                key, raw = services.open311_key_create(name=name, max_per_hour=per_hour)
            except GridgovError as exc:
                self.error(api_text(exc))
                return 2
            self.stdout.write(raw)
            limit = (_("%(n)s requests per hour") % {"n": key.max_per_hour} if key.max_per_hour
                     else _("no hourly limit"))
            self.stderr.write(_("(Open311 api_key '%(name)s', id %(id)s, %(limit)s; shown once, only its digest "
                                "is stored)") % {"name": key.name, "id": key.pk, "limit": limit},
                              style_func=lambda s: s)
            return 0
        if per_hour is not None:
            self.error(_("--per-hour is for create"))
            return 2
        try:
            services.open311_key_revoke(key_id=int(name))
        except (GridgovError, ValueError):
            self.error(_("no active key with id %(id)s") % {"id": name})
            return 2
        self.stdout.write(_("revoked key %(id)s") % {"id": name})
        return 0
