"""Index for the duplicate suggestions at report time (same 小类, a narrow lon/lat box): without it
every report scans all cases of its 小类."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_taxonomy")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["category", "lon", "lat"], name="case_category_lon_lat"),
        ),
    ]
