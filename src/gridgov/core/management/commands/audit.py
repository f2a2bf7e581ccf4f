"""`gridgov audit verify`: walk the audit hash chain (core/auditchain.py) in id order; report the
first broken link (a row edited, deleted or inserted) and exit 1, or the number of rows and exit 0."""

from __future__ import annotations

from gridgov.core.management.base import GridgovCommand
from gridgov.core.recovery import verify_audit_chain

PROBLEMS = {
    "previous": "its previous-row hash does not match the row before it (a row before it was deleted, "
                "inserted or rewritten)",
    "content": "its content does not match its hash (the row was edited)",
}


class Command(GridgovCommand):
    help = "audit trail tools: verify (check the hash chain; exit 1 at the first broken link)"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def run(self, *, action: str, **options) -> int:
        n, broken, _ = verify_audit_chain()
        if broken is not None:
            self.error(f"audit chain broken at row {broken.row_id} ({n} rows read): {PROBLEMS[broken.problem]}")
            return 1
        self.stdout.write(f"audit chain intact: {n} rows")
        return 0
