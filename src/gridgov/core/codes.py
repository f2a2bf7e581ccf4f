"""Administrative division codes and grid codes (pure Python, no Django).

A full statistical division code has 12 digits in five segments (GB/T 2260 province 2 +
city 2 + county 2, GB/T 10114 township 3, NBS community 3).  Its *significant* form (the
jurisdiction prefix) drops the trailing all-zero segments, so the prefix length gives the
level: 2 province, 4 city, 6 county, 9 township, 12 community.  A grid code is a community's
12 digits plus a 3-digit sequence 001-999 (15 digits).

Scoping is a prefix test on significant forms: a prefix is always cut at a segment boundary,
so ``code.startswith(prefix)`` never matches across a segment.
"""

from __future__ import annotations

import re
from enum import IntEnum

from gridgov.core.errors import FieldError, Phrase


class Level(IntEnum):
    """Division level; the value is the number of significant digits."""

    PROVINCE = 2
    CITY = 4
    COUNTY = 6
    TOWNSHIP = 9
    COMMUNITY = 12
    GRID = 15

    @property
    def label(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


_LABELS: dict[Level, tuple[str, str]] = {
    Level.PROVINCE: ("省级", "province"),
    Level.CITY: ("地级", "prefecture/city"),
    Level.COUNTY: ("县级", "county/district"),
    Level.TOWNSHIP: ("乡级(街道/镇)", "township/subdistrict"),
    Level.COMMUNITY: ("村级(社区/村)", "community/village"),
    Level.GRID: ("网格", "grid cell"),
}

#: GB/T 2260 province-level codes.
PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

#: (start, end, name) of each segment, 0-based half-open; the grid sequence is the sixth.
SEGMENTS: tuple[tuple[int, int, str], ...] = (
    (0, 2, "province"),
    (2, 4, "city"),
    (4, 6, "county"),
    (6, 9, "township"),
    (9, 12, "community"),
    (12, 15, "grid sequence"),
)
PREFIX_LENGTHS: tuple[int, ...] = tuple(level.value for level in Level)
_LENGTHS_TEXT = "2, 4, 6, 9, 12 or 15"
_NON_DIGIT = re.compile(r"[^0-9]")


def _as_digits(value: object, field: str) -> str:
    """Strip and check that ``value`` is a string of ASCII digits 0-9."""
    if not isinstance(value, str):
        raise FieldError(field, f"must be a string of digits, got {type(value).__name__}", code="type")
    text = value.strip()
    if not text:
        raise FieldError(field, "is empty; expected a division code of digits", code="required")
    bad = _NON_DIGIT.search(text)
    if bad:
        raise FieldError(
            field,
            "must contain digits only (0-9); found %(char)s at position %(position)s",
            code="not_digits", params={"char": repr(bad.group()), "position": bad.start() + 1},
        )
    return text


def _check_segments_nonzero(text: str, field: str) -> None:
    for start, end, name in SEGMENTS:
        if end > len(text):
            break
        if set(text[start:end]) == {"0"}:
            raise FieldError(
                field,
                "segment %(start)s-%(end)s (%(segment)s) is %(digits)s; every segment of a "
                "jurisdiction prefix must be non-zero",
                code="zero_segment", params={"start": start + 1, "end": end, "segment": name, "digits": text[start:end]},
            )


def validate_prefix(value: object, field: str = "jurisdiction") -> str:
    """Return the stripped significant code (jurisdiction prefix) or raise ``FieldError``.

    Valid: digits only, length 2, 4, 6, 9, 12 or 15, no all-zero segment.
    """
    text = _as_digits(value, field)
    if len(text) not in PREFIX_LENGTHS:
        raise FieldError(
            field,
            "length %(length)s is not a division level (expected %(lengths)s digits)",
            code="length", params={"length": len(text), "lengths": _LENGTHS_TEXT},
        )
    _check_segments_nonzero(text, field)
    return text


def _strip_zero_segments(code12: str) -> str:
    end = 12
    for start, seg_end, _name in reversed(SEGMENTS[:5]):
        if set(code12[start:seg_end]) == {"0"}:
            end = start
        else:
            break
    return code12[:end]


def validate_division_code(value: object, field: str = "code") -> str:
    """Return a valid 12-digit statistical division code, or raise ``FieldError``.

    Trailing segments may be zero (a code above community level); a non-zero segment after
    a zero one (``310100002000``) is rejected.
    """
    text = _as_digits(value, field)
    if len(text) != 12:
        raise FieldError(
            field, "length %(length)s is wrong; a division code has exactly 12 digits", code="length",
            params={"length": len(text)},
        )
    sig = _strip_zero_segments(text)
    if not sig:
        raise FieldError(field, "is all zeros; expected a province segment 11-82", code="zero_segment")
    first_zero: tuple[int, int, str] | None = None
    for start, end, name in SEGMENTS[:5]:
        if end > len(sig):
            break
        if set(text[start:end]) == {"0"}:
            first_zero = first_zero or (start, end, name)
            continue
        if first_zero is not None:
            raise FieldError(
                field,
                "segment %(start)s-%(end)s (%(segment)s) is %(digits)s but segment %(zero_start)s-%(zero_end)s "
                "(%(zero_segment)s) is %(zero_digits)s; a lower level cannot be set below an empty level",
                code="zero_segment",
                params={"start": start + 1, "end": end, "segment": name, "digits": text[start:end],
                        "zero_start": first_zero[0] + 1, "zero_end": first_zero[1], "zero_segment": first_zero[2],
                        "zero_digits": text[first_zero[0]:first_zero[1]]},
            )
    return text


def validate_grid_code(value: object, field: str = "grid_code") -> str:
    """Return a valid 15-digit grid code (community code + sequence 001-999)."""
    text = _as_digits(value, field)
    if len(text) != 15:
        raise FieldError(
            field,
            "length %(length)s is wrong; a grid code has exactly 15 digits "
            "(12-digit community code + 3-digit sequence)", params={"length": len(text)},
            code="length",
        )
    for start, end, name in SEGMENTS[:5]:
        if set(text[start:end]) == {"0"}:
            raise FieldError(
                field,
                "segment %(start)s-%(end)s (%(segment)s) is %(digits)s; the first 12 digits must be a "
                "community-level code with all five segments non-zero",
                code="level", params={"start": start + 1, "end": end, "segment": name, "digits": text[start:end]},
            )
    if text[12:] == "000":
        raise FieldError(field, "grid sequence (digits 13-15) is 000; expected 001-999", code="sequence")
    return text


def significant(code: object, field: str = "code") -> str:
    """The significant prefix of a code.

    A 12-digit statistical code loses its trailing all-zero segments; a 15-digit grid code and
    prefixes of other lengths are validated and returned unchanged.
    """
    text = _as_digits(code, field)
    if len(text) == 12:
        return _strip_zero_segments(validate_division_code(text, field))
    return validate_prefix(text, field)


def level_of(code: object, field: str = "code") -> Level:
    """Level of a 12-digit code, a 15-digit grid code or a significant prefix."""
    return Level(len(significant(code, field)))


def parent_prefix(prefix: object, field: str = "jurisdiction") -> str | None:
    """Significant prefix one level up; ``None`` for a province."""
    sig = significant(prefix, field)
    idx = PREFIX_LENGTHS.index(len(sig))
    return sig[: PREFIX_LENGTHS[idx - 1]] if idx > 0 else None


def pad12(prefix: object, field: str = "jurisdiction") -> str:
    """A significant prefix (2-12 digits) back to its 12-digit statistical code."""
    sig = validate_prefix(prefix, field)
    if len(sig) > 12:
        raise FieldError(
            field,
            "a %(length)s-digit grid code has no 12-digit division form; expected at most 12 digits",
            code="length", params={"length": len(sig)},
        )
    return sig.ljust(12, "0")


def is_within(code: object, prefix: object) -> bool:
    """True when ``code`` (12-digit, grid or prefix) lies inside the jurisdiction ``prefix``."""
    return significant(code, "code").startswith(validate_prefix(prefix, "jurisdiction"))


def grid_code(community_code12: object, seq: int, field: str = "grid_code") -> str:
    """Build a grid code from a community-level 12-digit code and a sequence 1-999."""
    text = validate_division_code(community_code12, "community_code")
    if len(_strip_zero_segments(text)) != 12:
        raise FieldError(
            "community_code",
            "%(code)s is a %(level)s-level code; a grid needs a community-level code "
            "(all five segments non-zero)",
            code="level", params={"code": text, "level": Phrase(level_of(text).label_en)},
        )
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise FieldError(field, f"sequence must be an integer, got {type(seq).__name__}", code="type")
    if not 1 <= seq <= 999:
        raise FieldError(field, "sequence %(seq)s is out of range; expected 1-999", code="sequence", params={"seq": seq})
    return f"{text}{seq:03d}"


def province_name(code2: object) -> str | None:
    """Name of the province whose code starts ``code2`` (e.g. '31' -> '上海市'), else None."""
    if not isinstance(code2, str):
        return None
    return PROVINCES.get(code2.strip()[:2])
