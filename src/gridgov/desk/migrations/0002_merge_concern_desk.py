from django.db import migrations


class Migration(migrations.Migration):
    """The public-concern response and the desk were built side by side (two first migrations)."""

    dependencies = [
        ("desk", "0001_concern"),
        ("desk", "0001_desk"),
    ]

    operations = []
