from django.db import migrations, models


class Migration(migrations.Migration):
    """The row hash of a person's last full import (issue 16 item 7): an unchanged re-imported row
    is skipped without reading it. Existing rows start with "" (unknown: compared field by field)."""

    dependencies = [
        ("registry", "0002_person_grid_index_covered_by_grid_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="import_hash",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=16),
        ),
    ]
