"""`gridgov audit verify`: walk the audit hash chain (core/auditchain.py) in id order; report the
first broken link (a row edited, deleted or inserted) and exit 1, or the number of rows and exit 0."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridgov.core.management.base import GridgovCommand
from gridgov.core.recovery import AUDIT_PROBLEMS as PROBLEMS
from gridgov.core.recovery import verify_audit_chain


class Command(GridgovCommand):
    help = "audit trail tools: verify (check the hash chain; exit 1 at the first broken link)"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def run(self, *, action: str, **options) -> int:
        n, broken, _head = verify_audit_chain()
        if broken is not None:
            self.error(_("audit chain broken at row %(row)s (%(n)s rows read): %(problem)s")
                       % {"row": broken.row_id, "n": n, "problem": _(PROBLEMS[broken.problem])})
            return 1
        self.stdout.write(_("audit chain intact: %(n)s rows") % {"n": n})
        return 0
