"""``{{ value|registry_label:"person_status" }}`` and ``{{ field|import_field }}`` (registry/labels.py)."""

from django import template

from gridgov.registry.labels import field_label, label

register = template.Library()


@register.filter
def registry_label(code, table: str) -> str:
    return label(table, str(code or ""))


@register.filter
def import_field(field) -> str:
    return field_label(str(field or ""))
