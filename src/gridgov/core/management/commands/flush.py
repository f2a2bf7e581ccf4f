"""`manage flush`: Django's, run inside ``db_adapter.audit_maintenance`` so that the audit table,
whose triggers refuse DELETE (and TRUNCATE), is emptied with the rest. The one sanctioned deleter
of audit rows; the test runner uses it between transactional tests."""

from __future__ import annotations

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from gridgov.core.db_adapter import audit_maintenance


class Command(flush.Command):
    def handle(self, **options):
        with audit_maintenance(connections[options.get("database") or DEFAULT_DB_ALIAS]):
            return super().handle(**options)
