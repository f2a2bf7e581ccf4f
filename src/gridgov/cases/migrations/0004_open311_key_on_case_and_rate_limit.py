"""Open311 accountability and rate limit: the api_key that submitted a case (PROTECT: keys are
revoked, not deleted), a key's hourly limit (0 = unlimited) and the index the limit's count uses."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_case_category_lon_lat")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="open311_key",
            field=models.ForeignKey(blank=True, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="cases",
                                    to="cases.open311key", verbose_name="Open311 key"),
        ),
        migrations.AddField(
            model_name="open311key",
            name="max_per_hour",
            field=models.PositiveIntegerField(default=600, verbose_name="requests per hour",
                                              help_text="cases this key may submit in any hour; 0 = unlimited"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["open311_key", "reported_at"], name="case_open311_key_reported"),
        ),
    ]
