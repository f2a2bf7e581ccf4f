from django.db import migrations

from gridgov.core.db_adapter import install_audit_guard, remove_audit_guard


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(install_audit_guard, remove_audit_guard)]
