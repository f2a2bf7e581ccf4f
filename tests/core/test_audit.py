import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from gridgov.core.audit import audit_write
from gridgov.core.models import AuditEvent

ID = "11010519491231002X"


@pytest.mark.django_db
def test_audit_masks_identity_numbers_and_drops_secrets():
    event = audit_write("UPDATE", object_type="person", object_id=ID,
                        reason=f"corrected {ID} phone 13812345678",
                        changes={"identity_number": ID, "password": "hunter2-long", "nested": [{"phone": "13812345678"}],
                                 "api_token": "ggv_abc"})
    event.refresh_from_db()
    blob = repr((event.reason, event.changes, event.object_id))
    assert ID not in blob and "19491231" not in blob
    assert "13812345678" not in blob and "hunter2-long" not in blob and "ggv_abc" not in blob
    assert "110105********002X" in blob and "138****5678" in blob


@pytest.mark.django_db
def test_audit_rows_are_append_only_in_orm_and_database():
    event = audit_write("READ", object_type="x", object_id=1)
    event.reason = "changed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET reason = 'tampered' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db
def test_unknown_action_is_refused():
    with pytest.raises(ValueError):
        audit_write("FROBNICATE")
