"""A refused reveal is audited with outcome `denied` (missing capability, or a person outside the
jurisdiction, or absent), at most one row per actor, action and object type per minute so that a
scan cannot flood the audit table; the refusals not written are counted in the next row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.core.audit import audit_event
from gridgov.core.models import AuditEvent
from gridgov.registry.services import person_register
from tests.registry.conftest import client_for


@pytest.fixture
def people(houses, person_data):
    a = person_register(actor=None, data=person_data(1), house_id=houses["a1_1"].pk)
    b = person_register(actor=None, data=person_data(2), house_id=houses["b_1"].pk)
    return a.person, b.person


def _reveal(client, pk):
    return client.post(f"/api/v1/registry/persons/{pk}/reveal", data={"reason": "核查身份信息"},
                       content_type="application/json")


def _denied(**kw):
    return AuditEvent.objects.filter(action="REVEAL", outcome="denied", **kw)


def test_a_reveal_without_the_capability_is_audited_denied(people, users):
    a, _ = people
    assert _reveal(client_for(users["worker_a"]), a.pk).status_code == 403
    row = _denied().get()
    assert row.actor_username == "worker_a" and row.object_type == "registry.person"
    assert row.object_id == str(a.pk) and row.reason == "missing capability"
    assert not AuditEvent.objects.filter(action="REVEAL", outcome="success").exists()


def test_a_reveal_outside_the_jurisdiction_is_audited_denied(people, users):
    _, b = people
    street_a = client_for(users["street_a"])  # holds registry.reveal, in street A only
    assert _reveal(street_a, b.pk).status_code == 404
    row = _denied().get()
    assert row.actor_username == "street_a" and row.object_id == str(b.pk)
    assert row.reason == "not found or outside the jurisdiction"


def test_a_scan_writes_one_row_a_minute(people, users):
    _, b = people
    street_a = client_for(users["street_a"])
    # a denial of five minutes ago does not silence a new one: the window is one minute
    earlier = audit_event("REVEAL", actor=users["street_a"], object_type="registry.person", object_id="1",
                          outcome="denied")
    earlier.at = timezone.now() - timedelta(minutes=5)
    earlier.save(force_insert=True)
    for pk in range(b.pk, b.pk + 40):  # b and 39 ids that do not exist
        assert _reveal(street_a, pk).status_code == 404
    assert _denied(at__gte=timezone.now() - timedelta(minutes=1)).count() == 1
    assert _denied().count() == 2
    assert _denied().order_by("-at").first().object_id == str(b.pk)  # the first of the scan
    # another actor is not silenced by the first one's row
    assert _reveal(client_for(users["street_b"]), people[0].pk).status_code == 404
    assert _denied(actor_username="street_b").count() == 1
    # nor is another object type (a care file) by a reveal's row: see tests/care/test_audit_denied.py


def test_the_window_is_configurable(people, users, settings):
    settings.GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS = 0  # every refusal is written
    street_a = client_for(users["street_a"])
    for pk in range(people[1].pk, people[1].pk + 3):
        assert _reveal(street_a, pk).status_code == 404
    assert _denied().count() == 3
