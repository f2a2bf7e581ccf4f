from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def pct(value):
    if value is None:
        return ""
    return f"{100 * float(value):.1f}%"
