from django.db import migrations


def seed(apps, schema_editor):
    from gridgov.safety.models import STANDARD_CATEGORIES

    Category = apps.get_model("safety", "Category")
    for code, name, name_en in STANDARD_CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "standard": True})


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
