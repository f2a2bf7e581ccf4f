"""Names of the registry's stored codes for pages and reports: statuses, import states, the
column a field is read from, nationalities (GB/T 2659). The codes stay the API's stable values."""

from __future__ import annotations

from django.utils.translation import get_language, pgettext_lazy

from gridgov.registry.imports import HOUSE_ALIASES, ORG_ALIASES, PERSON_ALIASES
from gridgov.registry.models import ImportJob, Person, ResidencePermit

# GB/T 2659 alpha-2 codes of the nationalities a Chinese registry meets most; any other code is shown
# as it is (it is a standard code, not a word).
NATIONALITIES = {
    "CN": pgettext_lazy("nationality", "China"), "US": pgettext_lazy("nationality", "United States"),
    "JP": pgettext_lazy("nationality", "Japan"), "KR": pgettext_lazy("nationality", "South Korea"),
    "DE": pgettext_lazy("nationality", "Germany"), "FR": pgettext_lazy("nationality", "France"),
    "GB": pgettext_lazy("nationality", "United Kingdom"), "SG": pgettext_lazy("nationality", "Singapore"),
    "AU": pgettext_lazy("nationality", "Australia"), "CA": pgettext_lazy("nationality", "Canada"),
    "IT": pgettext_lazy("nationality", "Italy"), "RU": pgettext_lazy("nationality", "Russia"),
    "MY": pgettext_lazy("nationality", "Malaysia"), "TH": pgettext_lazy("nationality", "Thailand"),
    "VN": pgettext_lazy("nationality", "Viet Nam"), "PH": pgettext_lazy("nationality", "Philippines"),
    "IN": pgettext_lazy("nationality", "India"), "HK": pgettext_lazy("nationality", "Hong Kong, China"),
    "MO": pgettext_lazy("nationality", "Macao, China"), "TW": pgettext_lazy("nationality", "Taiwan, China"),
}

_CHOICES = {
    "person_status": dict(Person.Status.choices),
    "permit_status": dict(ResidencePermit.Status.choices),
    "job_state": dict(ImportJob.State.choices),
    "job_kind": dict(ImportJob.Kind.choices),
    "nationality": NATIONALITIES,
}

# The column header a field is read from (the first Chinese alias), for import reports.
_COLUMNS: dict[str, str] = {}
for _aliases in (PERSON_ALIASES, HOUSE_ALIASES, ORG_ALIASES):
    for _header, _field in _aliases.items():
        if not _header.isascii():
            _COLUMNS.setdefault(_field, _header)
_COLUMNS.update({
    "file": "文件", "encoding": "文件编码", "moved_in": "入住日期", "id_hmac": "公民身份号码",
    "house_id": "房屋编号", "address_code": "公民身份号码", "sequence": "公民身份号码",
})


def label(table: str, code: str) -> str:
    value = _CHOICES.get(table, {}).get(code)
    return str(value) if value is not None else code


def field_label(field: str) -> str:
    """The import column of ``field`` as a Chinese user names it; in English the field's name."""
    if (get_language() or "").startswith("en"):
        return field
    return _COLUMNS.get(field, field)
