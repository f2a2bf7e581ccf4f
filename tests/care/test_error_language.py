"""A care refusal reads in the reader's language (zh-hans by default, English on request), with the
contact's status named as staff name it; the code stays ``conflict``."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from gridgov.care import services
from gridgov.care.models import Contact


@pytest.mark.parametrize("language, message", [
    ("zh-hans", "该次联系已是“已完成”"),
    ("en", "the contact is already “completed”"),
])
def test_skipping_a_completed_contact(enrol, users, language, message):
    sw = users["social_worker"]
    e = enrol("youth", "青年", level="01", start=date(2026, 2, 1))
    c = Contact.objects.get(enrolment=e, kind="visit", due_date=date(2026, 2, 15))
    services.contact_record(actor=sw, programme="youth", enrolment_id=e.pk, contact_id=c.pk, kind="visit",
                            done_on=date(2026, 2, 19), notes="家访", today=date(2026, 2, 20))
    c.refresh_from_db()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(sw)
    r = client.post(f"/api/v1/care/youth/contacts/{c.pk}/skip", {"version": c.version, "reason": "本人住院"},
                    content_type="application/json")
    assert r.status_code == 409
    assert r.json()["error"] == {"code": "conflict", "message": message, "details": []}
    assert Contact.objects.get(pk=c.pk).status == "completed"
