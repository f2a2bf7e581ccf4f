from django.db import migrations, models


class Migration(migrations.Migration):
    """The hash of a person's raw file cells at the last import that wrote the row (issue 16 item 7):
    an unchanged re-imported row is recognised before it is validated. Existing rows start with ""
    (unknown: validated and compared as before)."""

    dependencies = [
        ("registry", "0003_person_import_hash"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="import_raw_hash",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=16),
        ),
    ]
