"""统一社会信用代码 (unified social credit code), GB 32100-2015.

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z):
position 1 registration authority, 2 entity type, 3-8 administrative division code
(GB/T 2260, 6 digits), 9-17 organisation code (GB 11714), 18 check character
(weights 3^i mod 31, C18 = 31 - (sum mod 31), 31 -> 0).
"""

from __future__ import annotations

from gridgov.core.errors import FieldError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: Position 1: 登记管理部门代码 (1 机构编制 ... 9 工商, A 中央军委改革和编制办公室, N 农业, Y 其他).
AUTHORITIES = "123456789ANY"
#: Position 2: 机构类别代码 — digits 1-9 in every authority's table.
ENTITY_TYPES = "123456789"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_DEFAULT_FIELD = "uscc"


def _illegal(text: str) -> tuple[int, str] | None:
    for i, c in enumerate(text):
        if c not in _VALUES:
            return i, c
    return None


def uscc_check_char(first17: str) -> str:
    """Check character for the first 17 characters."""
    if not isinstance(first17, str) or len(first17) != 17 or _illegal(first17):
        raise FieldError(_DEFAULT_FIELD, f"check character needs 17 characters from {ALPHABET}, "
                         f"got {first17!r}", code="invalid")
    total = sum(_VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def make_uscc(first17: str) -> str:
    """Append the check character (the first 17 characters are validated like a full code)."""
    if not isinstance(first17, str):
        raise FieldError(_DEFAULT_FIELD, f"must be a string, got {type(first17).__name__}", code="type")
    text = first17.strip().upper()
    if len(text) != 17:
        raise FieldError(_DEFAULT_FIELD, f"length {len(text)} is wrong; expected the first 17 characters",
                         code="length")
    bad = _illegal(text)
    if bad:
        raise FieldError(
            _DEFAULT_FIELD,
            f"illegal character {bad[1]!r} at position {bad[0] + 1}; allowed are 0-9 and A-Z except I, O, S, V, Z",
            code="illegal_char",
        )
    return validate_uscc(text + uscc_check_char(text))


def validate_uscc(value: object, field: str = _DEFAULT_FIELD) -> str:
    """Return the normalised (stripped, upper-case) code, or raise ``FieldError``."""
    if not isinstance(value, str):
        raise FieldError(field, f"must be a string, got {type(value).__name__}", code="type")
    text = value.strip().upper()
    if len(text) != 18:
        raise FieldError(field, "length %(length)s is wrong; expected 18 characters", code="length",
                         params={"length": len(text)})
    bad = _illegal(text)
    if bad:
        pos, char = bad
        raise FieldError(
            field,
            "illegal character %(char)s at position %(position)s; allowed are 0-9 and A-Z except I, O, S, V, Z",
            code="illegal_char", params={"char": repr(char), "position": pos + 1},
        )
    if text[0] not in AUTHORITIES:
        raise FieldError(
            field,
            "registration authority code %(char)s at position 1 is unknown; expected 1-9, A, N or Y",
            code="authority", params={"char": repr(text[0])},
        )
    if text[1] not in ENTITY_TYPES:
        raise FieldError(field, "entity type code %(char)s at position 2 is unknown; expected a digit 1-9",
                         code="entity_type", params={"char": repr(text[1])})
    for pos in range(2, 8):
        if not text[pos].isdigit():
            raise FieldError(
                field,
                "positions 3-8 (administrative division code) must be digits; found %(char)s "
                "at position %(position)s",
                code="division_code", params={"char": repr(text[pos]), "position": pos + 1},
            )
    expected = uscc_check_char(text[:17])
    if text[17] != expected:
        raise FieldError(field, "check character is %(found)s, expected %(expected)s", code="check_digit",
                         params={"found": text[17], "expected": expected})
    return text
