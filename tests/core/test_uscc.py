"""统一社会信用代码 GB 32100-2015 (pure, no database)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gridgov.core.errors import FieldError
from gridgov.core.uscc import ALPHABET, WEIGHTS, make_uscc, uscc_check_char, validate_uscc

# Real-world code, cross-checked with python-stdnum 2.2 (stdnum.cn.uscc.validate) during development.
REAL = "91110000600037341L"


def reject(value, field="uscc") -> FieldError:
    with pytest.raises(FieldError) as exc:
        validate_uscc(value, field)
    assert exc.value.field == field
    assert str(exc.value).startswith(f"{field}: ")
    return exc.value


def test_real_world_example():
    assert validate_uscc(REAL) == REAL
    assert uscc_check_char(REAL[:17]) == "L"
    assert validate_uscc(" 91110000600037341l ") == REAL


def test_weights_are_powers_of_three_mod_31():
    assert [3**i % 31 for i in range(17)] == list(WEIGHTS)
    assert len(ALPHABET) == 31
    assert not set("IOSVZ") & set(ALPHABET)


@pytest.mark.parametrize(
    "first17",
    ["91310101MA1FPX1X0", "12100000400000770", "52310000MJ4984580", "Y1310101000000001", "N2110105000000001"],
)
def test_make_uscc_roundtrip(first17):
    code = make_uscc(first17)
    assert code[:17] == first17
    assert validate_uscc(code) == code
    assert code[17] in ALPHABET


def test_check_char_31_maps_to_zero():
    # find a body whose weighted sum is divisible by 31: check char must be '0', not index 31
    body = "9131010100000000"
    for c in ALPHABET:
        if sum(ALPHABET.index(x) * w for x, w in zip(body + c, WEIGHTS, strict=True)) % 31 == 0:
            assert uscc_check_char(body + c) == "0"
            break
    else:  # pragma: no cover
        pytest.fail("no body with sum divisible by 31")


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_illegal_letters_rejected(letter):
    value = REAL[:4] + letter + REAL[5:]
    exc = reject(value)
    assert exc.reason.startswith(f"illegal character '{letter}' at position 5;")
    assert exc.reason_code == "illegal_char"


@pytest.mark.parametrize(
    ("value", "reason", "code"),
    [
        ("9111000060003734", "length 16 is wrong; expected 18 characters", "length"),
        ("91110000600037341L0", "length 19 is wrong", "length"),
        ("91110000600037341M", "check character is M, expected L", "check_digit"),
        ("9111000060003734-L", "illegal character '-' at position 17", "illegal_char"),
        ("B1110000600037341L", "registration authority code 'B' at position 1 is unknown", "authority"),
        ("01110000600037341L", "registration authority code '0' at position 1 is unknown", "authority"),
        ("9A110000600037341L", "entity type code 'A' at position 2 is unknown; expected a digit 1-9",
         "entity_type"),
        ("9111A000600037341L", "positions 3-8 (administrative division code) must be digits; found 'A' "
         "at position 5", "division_code"),
    ],
)
def test_rejections_are_specific(value, reason, code):
    exc = reject(value)
    assert reason in exc.reason
    assert exc.reason_code == code


def test_custom_field_and_type():
    exc = reject("91110000600037341M", field="org_uscc")
    assert str(exc) == "org_uscc: check character is M, expected L"
    assert "must be a string" in reject(None).reason


def test_make_uscc_rejects_bad_body():
    with pytest.raises(FieldError, match="length 16 is wrong; expected the first 17 characters"):
        make_uscc("9111000060003734")
    with pytest.raises(FieldError, match="illegal character 'O' at position 9"):
        make_uscc("91110000O00037341")
    with pytest.raises(FieldError, match="registration authority"):
        make_uscc("B1110000600037341")


# ---- property tests -------------------------------------------------------------------------

@st.composite
def valid_codes(draw):
    first = draw(st.sampled_from("123456789ANY"))
    kind = draw(st.sampled_from("123456789"))
    division = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    org = draw(st.text(alphabet=ALPHABET, min_size=9, max_size=9))
    return make_uscc(first + kind + division + org)


@given(valid_codes())
def test_generated_codes_validate(code):
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]


@given(valid_codes(), st.integers(0, 17), st.sampled_from(ALPHABET))
def test_every_single_substitution_rejected(code, pos, char):
    assume(code[pos] != char)
    reject(code[:pos] + char + code[pos + 1:])


@given(valid_codes(), st.integers(0, 16), st.sampled_from(ALPHABET))
def test_checksum_alone_detects_every_substitution(code, pos, char):
    assume(code[pos] != char)
    mutated = code[:pos] + char + code[pos + 1:17]
    assert uscc_check_char(mutated) != code[17]


@given(valid_codes(), st.integers(0, 17), st.sampled_from("IOSVZ-_ .iosvz"))
def test_illegal_characters_rejected_anywhere(code, pos, char):
    value = code[:pos] + char + code[pos + 1:]
    exc = reject(value)
    if char.strip():
        assert f"at position {pos + 1}" in exc.reason
