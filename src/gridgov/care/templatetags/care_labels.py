"""``{{ value|care_label:"contact_status" }}``: the name of a care code (care/labels.py)."""

from django import template

from gridgov.care.labels import label

register = template.Library()


@register.filter
def care_label(code, table: str) -> str:
    return label(table, str(code or ""))
