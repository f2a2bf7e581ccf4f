"""The audit hash chain (issue 15, finding 6): two columns, the chain computed for the rows already
there (in id order, the append-only triggers lifted for the fill only), then the triggers installed
again with DELETE (and TRUNCATE on PostgreSQL) refused too."""

from django.db import migrations, models

from gridgov.core import auditchain
from gridgov.core.db_adapter import install_audit_guard, remove_audit_guard


def fill_chain(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    table = schema_editor.connection.ops.quote_name(AuditEvent._meta.db_table)
    rows = AuditEvent.objects.using(schema_editor.connection.alias).order_by("id").values(
        "id", *auditchain.FIELDS).iterator(chunk_size=2000)
    batch = []
    with schema_editor.connection.cursor() as cursor:
        for row_id, prev, h in auditchain.chain(rows):
            batch.append((prev, h, row_id))
            if len(batch) >= 2000:
                cursor.executemany(f"UPDATE {table} SET prev_hash = %s, row_hash = %s WHERE id = %s", batch)
                batch = []
        if batch:
            cursor.executemany(f"UPDATE {table} SET prev_hash = %s, row_hash = %s WHERE id = %s", batch)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [
        # first: SQLite rebuilds the table to add a column, which drops its triggers anyway
        migrations.RunPython(remove_audit_guard, install_audit_guard),
        migrations.AddField(model_name="auditevent", name="prev_hash",
                            field=models.CharField(blank=True, max_length=64)),
        migrations.AddField(model_name="auditevent", name="row_hash",
                            field=models.CharField(blank=True, max_length=64)),
        migrations.RunPython(fill_chain, migrations.RunPython.noop),
        migrations.RunPython(install_audit_guard, remove_audit_guard),
    ]
