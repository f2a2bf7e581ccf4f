"""Names instead of codes on pages.

``{{ code|place }}``: the name of a division or grid code with the code in small type after it
(the code alone when no place has it). ``{{ code|place_name }}``: the name only (or the code).
``{% place_text text %}``: a system text with codes in it (``已升级至 310116100``) with each known
code replaced by its name."""

import re

from django import template
from django.utils.html import format_html

from gridgov.geo.selectors import place_name as _name
from gridgov.geo.selectors import place_names

register = template.Library()
CODE = re.compile(r"(?<!\d)(\d{15}|\d{12}|\d{9}|\d{6})(?!\d)")


@register.filter
def place(code) -> str:
    code = str(code or "")
    name = _name(code)
    if not name:
        return format_html('<code>{}</code>', code) if code else ""
    return format_html('{} <small class="code">{}</small>', name, code)


@register.filter
def place_name(code) -> str:
    code = str(code or "")
    return _name(code) or code


@register.filter
def place_text(text) -> str:
    text = str(text or "")
    names = place_names(CODE.findall(text))
    return CODE.sub(lambda m: names.get(m.group(1), m.group(1)), text)
