from django.db import migrations


class Migration(migrations.Migration):
    """The project list and the responsibility system were built side by side (two first migrations)."""

    dependencies = [
        ("command", "0001_projects"),
        ("command", "0001_responsibility"),
    ]

    operations = []
