"""Load the shipped taxonomy (data/taxonomy.json) so that a fresh database has categories.
Later changes: ``services.taxonomy_sync()`` (idempotent)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "taxonomy.json"


def load(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    rows = json.loads(DATA.read_text(encoding="utf-8"))["categories"]
    by_code: dict[str, object] = {}
    for row in sorted(rows, key=lambda r: r.get("parent") is not None):
        cat, _ = Category.objects.update_or_create(code=row["code"], defaults={
            "name": row["name"], "name_en": row.get("name_en", ""), "domain": row.get("domain", "event"),
            "departments": row.get("departments", []), "stage_limits": row.get("stage_limits", {}),
            "urgency": row.get("urgency", "normal"), "duplicate_radius_m": row.get("duplicate_radius_m", 50),
            "open311_code": row.get("open311_code"), "public": bool(row.get("public", False)),
            "attributes": row.get("attributes", []), "order": row.get("order", 0),
            "parent": by_code.get(row.get("parent"))})
        by_code[cat.code] = cat


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
