"""Division and grid codes (pure, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.core import codes
from gridgov.core.codes import (
    PROVINCES,
    Level,
    grid_code,
    is_within,
    level_of,
    pad12,
    parent_prefix,
    province_name,
    significant,
    validate_division_code,
    validate_grid_code,
    validate_prefix,
)
from gridgov.core.errors import FieldError

EXAMPLES = [
    ("310000000000", "31", Level.PROVINCE),
    ("310100000000", "3101", Level.CITY),
    ("310101000000", "310101", Level.COUNTY),
    ("310101002000", "310101002", Level.TOWNSHIP),
    ("310101002001", "310101002001", Level.COMMUNITY),
    ("320508019044", "320508019044", Level.COMMUNITY),
]


@pytest.mark.parametrize(("code", "sig", "level"), EXAMPLES)
def test_significant_and_level(code, sig, level):
    assert validate_division_code(code) == code
    assert significant(code) == sig
    assert level_of(code) is level
    assert level_of(sig) is level
    assert pad12(sig) == code


def test_grid_level_and_significant_unchanged():
    assert significant("310101002001003") == "310101002001003"
    assert level_of("310101002001003") is Level.GRID
    assert significant("3101") == "3101"


def test_level_labels():
    assert [lv.value for lv in Level] == [2, 4, 6, 9, 12, 15]
    assert Level.PROVINCE.label == "省级"
    assert Level.CITY.label == "地级"
    assert Level.COUNTY.label == "县级"
    assert Level.TOWNSHIP.label == "乡级(街道/镇)"
    assert Level.COMMUNITY.label == "村级(社区/村)"
    assert Level.GRID.label == "网格"
    assert Level.COUNTY.label_en == "county/district"
    assert all(lv.label_en for lv in Level)


@pytest.mark.parametrize(
    ("value", "reason", "code"),
    [
        ("3100", "segment 3-4 (city) is 00", "zero_segment"),
        ("00", "segment 1-2 (province) is 00", "zero_segment"),
        ("310100", "segment 5-6 (county) is 00", "zero_segment"),
        ("310101000", "segment 7-9 (township) is 000", "zero_segment"),
        ("310101002000", "segment 10-12 (community) is 000", "zero_segment"),
        ("310101002001000", "segment 13-15 (grid sequence) is 000", "zero_segment"),
        ("31010", "length 5 is not a division level (expected 2, 4, 6, 9, 12 or 15 digits)", "length"),
        ("3", "length 1 is not a division level", "length"),
        ("3101010020010011", "length 16 is not a division level", "length"),
        ("31a1", "must contain digits only (0-9); found 'a' at position 3", "not_digits"),
        ("31-01", "found '-' at position 3", "not_digits"),
        ("３１", "must contain digits only", "not_digits"),  # full-width digits
        ("   ", "is empty", "required"),
    ],
)
def test_validate_prefix_rejects(value, reason, code):
    with pytest.raises(FieldError) as exc:
        validate_prefix(value)
    assert exc.value.field == "jurisdiction"
    assert reason in exc.value.reason
    assert exc.value.reason_code == code
    assert str(exc.value).startswith("jurisdiction: ")


def test_validate_prefix_strips_and_names_custom_field():
    assert validate_prefix(" 3101 \n") == "3101"
    with pytest.raises(FieldError) as exc:
        validate_prefix("3100", field="scope")
    assert exc.value.field == "scope"
    assert str(exc.value).startswith("scope: segment 3-4 (city) is 00")


def test_validate_prefix_rejects_non_string():
    with pytest.raises(FieldError) as exc:
        validate_prefix(3101)
    assert "must be a string of digits, got int" in exc.value.reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("310100002000", "segment 7-9 (township) is 002 but segment 5-6 (county) is 00"),
        ("310001000000", "segment 5-6 (county) is 01 but segment 3-4 (city) is 00"),
        ("000000000000", "is all zeros"),
        ("003101000000", "segment 3-4 (city) is 31 but segment 1-2 (province) is 00"),
        ("3101010020", "length 10 is wrong; a division code has exactly 12 digits"),
        ("310101002001001", "length 15 is wrong"),
        ("31010100200X", "found 'X' at position 12"),
    ],
)
def test_validate_division_code_rejects(value, reason):
    with pytest.raises(FieldError) as exc:
        validate_division_code(value)
    assert exc.value.field == "code"
    assert reason in exc.value.reason


def test_validate_grid_code():
    assert validate_grid_code(" 310101002001003 ") == "310101002001003"
    cases = [
        ("310101002001000", "grid sequence (digits 13-15) is 000; expected 001-999", "sequence"),
        ("310101002000001", "segment 10-12 (community) is 000", "level"),
        ("310100000000001", "segment 5-6 (county) is 00", "level"),
        ("310101002001", "length 12 is wrong; a grid code has exactly 15 digits", "length"),
        ("31010100200100A", "found 'A' at position 15", "not_digits"),
    ]
    for value, reason, code in cases:
        with pytest.raises(FieldError) as exc:
            validate_grid_code(value)
        assert exc.value.field == "grid_code"
        assert reason in exc.value.reason, value
        assert exc.value.reason_code == code


def test_parent_prefix_chain():
    chain = []
    code: str | None = "310101002001003"
    while code is not None:
        chain.append(code)
        code = parent_prefix(code)
    assert chain == ["310101002001003", "310101002001", "310101002", "310101", "3101", "31"]
    assert parent_prefix("310101002000") == "310101"  # a full 12-digit code is read at its level
    assert parent_prefix("31") is None


def test_pad12():
    assert pad12("31") == "310000000000"
    assert pad12("310101002") == "310101002000"
    with pytest.raises(FieldError, match="no 12-digit division form"):
        pad12("310101002001003")
    with pytest.raises(FieldError, match="segment 3-4"):
        pad12("3100")


def test_is_within():
    assert is_within("310101002001003", "31")
    assert is_within("310101002001003", "310101002001")
    assert is_within("310101002001003", "310101002001003")
    assert is_within("310101002000", "310101002")
    assert is_within("310101002000", "310101")
    assert not is_within("310101000000", "310101002")  # county is not inside its township
    assert not is_within("310101002001003", "3102")
    assert not is_within("320101002001003", "31")
    # prefixes are cut at segment boundaries: 3101010 is no prefix at all
    with pytest.raises(FieldError) as exc:
        is_within("310101002001003", "3101010")
    assert exc.value.field == "jurisdiction"
    with pytest.raises(FieldError) as exc:
        is_within("310100002000", "31")
    assert exc.value.field == "code"


def test_grid_code_builder():
    assert grid_code("310101002001", 1) == "310101002001001"
    assert grid_code("310101002001", 999) == "310101002001999"
    with pytest.raises(FieldError, match="sequence 0 is out of range; expected 1-999"):
        grid_code("310101002001", 0)
    with pytest.raises(FieldError, match="sequence 1000 is out of range"):
        grid_code("310101002001", 1000)
    with pytest.raises(FieldError, match="must be an integer"):
        grid_code("310101002001", True)
    with pytest.raises(FieldError) as exc:
        grid_code("310101002000", 1)
    assert exc.value.field == "community_code"
    assert "township/subdistrict-level code; a grid needs a community-level code" in exc.value.reason


def test_province_table():
    assert len(PROVINCES) == 34
    assert province_name("31") == "上海市"
    assert province_name("310101002001") == "上海市"
    assert province_name("65") == "新疆维吾尔自治区"
    assert province_name("82") == "澳门特别行政区"
    assert province_name("99") is None
    assert province_name("10") is None
    assert province_name(None) is None
    assert all(len(k) == 2 and k.isdigit() for k in PROVINCES)


# ---- property tests -------------------------------------------------------------------------

def _seg(width: int):
    return st.integers(1, 10**width - 1).map(lambda n: f"{n:0{width}d}")


@st.composite
def prefixes(draw):
    """A valid significant prefix of any level (province codes from the table)."""
    parts = [draw(st.sampled_from(sorted(PROVINCES)))]
    for width in (2, 2, 3, 3, 3):
        parts.append(draw(_seg(width)))
    n = draw(st.integers(1, 6))
    return "".join(parts[:n])


@given(prefixes())
def test_roundtrip_pad_significant(prefix):
    assert validate_prefix(prefix) == prefix
    if len(prefix) <= 12:
        code = pad12(prefix)
        assert validate_division_code(code) == code
        assert significant(code) == prefix
        assert pad12(significant(code)) == code
        assert level_of(code) == len(prefix)
    else:
        assert validate_grid_code(prefix) == prefix
        assert level_of(prefix) is Level.GRID


@given(prefixes())
def test_parent_contains_child(prefix):
    parent = parent_prefix(prefix)
    if parent is None:
        assert level_of(prefix) is Level.PROVINCE
    else:
        assert is_within(prefix, parent)
        assert codes.PREFIX_LENGTHS.index(len(parent)) == codes.PREFIX_LENGTHS.index(len(prefix)) - 1
        assert not is_within(parent, prefix)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_12_digits_either_valid_or_fieldError(code):
    try:
        validate_division_code(code)
    except FieldError as exc:
        assert exc.field == "code"
        assert exc.reason
    else:
        assert pad12(significant(code)) == code
