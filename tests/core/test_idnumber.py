"""公民身份号码 GB 11643-1999 (pure, no database)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gridgov.core.codes import PROVINCES
from gridgov.core.errors import FieldError
from gridgov.core.idnumber import (
    WEIGHTS,
    IdentityInfo,
    check_char,
    make_identity_number,
    parse_identity_number,
    upgrade_15_to_18,
    validate_identity_number,
    validate_identity_numbers,
)

TODAY = date(2025, 6, 1)
CHECK_CHARS = "0123456789X"


def reject(value, *, field="identity_number", today=TODAY) -> FieldError:
    with pytest.raises(FieldError) as exc:
        validate_identity_number(value, field, today=today)
    assert exc.value.field == field
    assert str(exc.value).startswith(f"{field}: ")
    return exc.value


# ---- examples from standards.md §4.2 ----------------------------------------------------------

@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "360426199101010071", "120103198806018241", "513101198201130014"],
)
def test_valid_examples(number):
    assert validate_identity_number(number, today=TODAY) == number
    assert check_char(number[:17]) == number[17]


def test_example_born_1880_has_a_correct_check_digit_but_is_before_1890():
    # 440524188001010014 is listed as valid for its check digit; the 1890 lower bound rejects it.
    assert check_char("44052418800101001") == "4"
    exc = reject("440524188001010014")
    assert exc.reason == "birth date 18800101 is before 18900101"
    assert exc.reason_code == "birth_date"


def test_invalid_example_check_digit():
    exc = reject("360426199101010072")
    assert exc.reason == "check digit is 2, expected 1"
    assert exc.reason_code == "check_digit"


def test_upgrade_example():
    assert upgrade_15_to_18("110105491231002") == "11010519491231002X"
    assert validate_identity_number("110105491231002", today=TODAY) == "11010519491231002X"


def test_weights_are_powers_of_two_mod_11():
    assert [2 ** (17 - i) % 11 for i in range(17)] == list(WEIGHTS)


def test_normalises_whitespace_and_lowercase_x():
    assert validate_identity_number(" 11010519491231002x\n", today=TODAY) == "11010519491231002X"


# ---- specific rejections ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "reason", "code"),
    [
        ("1101051949123100", "length 16 is wrong; expected 18 characters (or the old 15-digit form)", "length"),
        ("", "length 0 is wrong", "length"),
        ("11010519491231A02X", "must contain digits only in positions 1-17; found 'A' at position 15",
         "not_digits"),
        ("11010519491231002Y", "check character 'Y' at position 18 is not allowed; expected 0-9 or X",
         "not_digits"),
        ("1101054912310X2", "a 15-digit identity number must contain digits only; found 'X' at position 14",
         "not_digits"),
        ("991105194912310021", "address code 991105 starts with 99, which is not a province code", "address_code"),
        ("831234199001010011", "address code 831234 is not valid: prefix 83 is only used as 830000",
         "address_code"),
        ("11010519990230002X", "birth date 19990230 is not a real date", "birth_date"),
        ("110105990230002", "birth date 19990230 is not a real date", "birth_date"),
        ("110105203001010021", "birth date 20300101 is in the future (today is 20250601)", "birth_date"),
        ("110105188912310021", "birth date 18891231 is before 18900101", "birth_date"),
        ("110105194912310001", "sequence code (positions 15-17) is 000; expected 001-999", "sequence"),
        ("11010519491231002 1", "length 19 is wrong", "length"),
    ],
)
def test_rejections_are_specific(value, reason, code):
    exc = reject(value)
    assert reason in exc.reason
    assert exc.reason_code == code


def test_taiwan_resident_permit_prefix():
    number = make_identity_number("830000", date(1990, 1, 1), 11)
    assert validate_identity_number(number, today=TODAY) == number


def test_custom_field_name_and_type():
    exc = reject("360426199101010072", field="guardian_id")
    assert str(exc) == "guardian_id: check digit is 2, expected 1"
    exc = reject(360426199101010071)
    assert "must be a string, got int" in exc.reason


def test_future_birth_uses_today():
    number = make_identity_number("310101", date(2025, 6, 2), 1)
    reject(number)  # today=2025-06-01
    assert validate_identity_number(number, today=date(2025, 6, 2)) == number
    # default today is the real date: a date far in the future is always rejected
    with pytest.raises(FieldError, match="is in the future"):
        validate_identity_number(make_identity_number("310101", date(9999, 1, 1), 1))


@pytest.mark.parametrize("year", [1900, 1999, 2001, 2023])
def test_feb_29_in_non_leap_year_rejected(year):
    body = f"310101{year}0229001"
    exc = reject(body + check_char(body))
    assert exc.reason == f"birth date {year}0229 is not a real date"


def test_feb_29_in_leap_year_accepted():
    body = "310101200002290011"[:17]
    assert validate_identity_number(body + check_char(body), today=TODAY)


def test_parse_identity_number():
    info = parse_identity_number("11010519491231002X", today=TODAY)
    assert info == IdentityInfo(number="11010519491231002X", address_code="110105",
                                birth_date=date(1949, 12, 31), sex="2", province_code="11")
    assert parse_identity_number("360426199101010071", today=TODAY).sex == "1"  # 007 odd -> male
    with pytest.raises(FieldError):
        parse_identity_number("360426199101010072", today=TODAY)
    with pytest.raises(AttributeError):
        info.sex = "1"  # frozen


def test_make_identity_number_rejects_bad_input():
    with pytest.raises(FieldError, match="sequence: 0 is out of range"):
        make_identity_number("310101", date(1990, 1, 1), 0)
    with pytest.raises(FieldError, match="sequence: 1000 is out of range"):
        make_identity_number("310101", date(1990, 1, 1), 1000)
    with pytest.raises(FieldError, match="address_code"):
        make_identity_number("990101", date(1990, 1, 1), 1)
    with pytest.raises(FieldError, match="address_code"):
        make_identity_number("31010", date(1990, 1, 1), 1)
    with pytest.raises(FieldError, match="birth_date"):
        make_identity_number("310101", date(1889, 12, 31), 1)


def test_upgrade_rejects_bad_15_digit_form():
    with pytest.raises(FieldError, match="birth date 19490231 is not a real date"):
        upgrade_15_to_18("110105490231002")
    with pytest.raises(FieldError, match="15-digit identity number has 15 digits, got 14"):
        upgrade_15_to_18("11010549123100")
    with pytest.raises(FieldError, match="digits only"):
        upgrade_15_to_18("11010549123100A")


# ---- property tests -------------------------------------------------------------------------

address_codes = st.builds(
    lambda p, c, d: f"{p}{c:02d}{d:02d}",
    st.sampled_from(sorted(PROVINCES)), st.integers(1, 99), st.integers(1, 99),
)
past_dates = st.dates(min_value=date(1890, 1, 1), max_value=TODAY)


@st.composite
def valid_numbers(draw):
    return make_identity_number(draw(address_codes), draw(past_dates), draw(st.integers(1, 999)))


@given(valid_numbers())
def test_generated_numbers_validate(number):
    assert validate_identity_number(number, today=TODAY) == number
    assert check_char(number[:17]) == number[17]
    info = parse_identity_number(number, today=TODAY)
    assert info.birth_date.strftime("%Y%m%d") == number[6:14]
    assert info.sex == ("1" if int(number[14:17]) % 2 else "2")
    assert info.province_code in PROVINCES


@given(valid_numbers(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_rejected(number, pos, delta):
    changed = str((int(number[pos]) + delta) % 10)
    mutated = number[:pos] + changed + number[pos + 1:]
    exc = reject(mutated)
    assert exc.reason


@given(valid_numbers(), st.sampled_from(CHECK_CHARS))
def test_any_check_char_change_is_rejected(number, new_check):
    assume(new_check != number[17])
    exc = reject(number[:17] + new_check)
    assert exc.reason == f"check digit is {new_check}, expected {number[17]}"


@given(valid_numbers(), st.integers(0, 16))
def test_adjacent_transpositions_are_rejected(number, pos):
    a, b = number[pos], number[pos + 1]
    assume(a != b)
    reject(number[:pos] + b + a + number[pos + 2:])


@given(valid_numbers(), st.integers(0, 16), st.integers(1, 9))
def test_mod11_2_detects_every_substitution_and_transposition_by_the_check_digit_alone(number, pos, delta):
    """The checksum by itself (not the date or address checks) catches these errors."""
    def checksum_ok(n: str) -> bool:
        return check_char(n[:17]) == n[17]

    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1:]
    assert not checksum_ok(changed)
    if number[pos] != number[pos + 1] and "X" not in number[pos:pos + 2]:
        swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2:]
        assert not checksum_ok(swapped)


@given(valid_numbers(), st.integers(1, 3650))
def test_future_birth_rejected(number, days):
    birth = TODAY + timedelta(days=days)
    future = make_identity_number(number[:6], birth, int(number[14:17]))
    exc = reject(future)
    assert "is in the future" in exc.reason
    assert exc.reason_code == "birth_date"


@given(st.integers(1890, 2024).filter(lambda y: not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0))),
       address_codes, st.integers(1, 999))
def test_feb_29_non_leap_property(year, address, seq):
    body = f"{address}{year}0229{seq:03d}"
    exc = reject(body + check_char(body))
    assert exc.reason == f"birth date {year}0229 is not a real date"


@given(st.text(max_size=20))
def test_arbitrary_text_valid_or_field_error(text):
    try:
        result = validate_identity_number(text, today=TODAY)
    except FieldError as exc:
        assert exc.field == "identity_number" and exc.reason
    else:
        assert len(result) == 18


# ---- the column (NumPy) path: the same answers as the scalar one ------------------------------

def test_column_examples():
    values = ["11010519491231002X", " 11010519491231002x\n", "360426199101010071", "360426199101010072",
              "831234199001010011", "830000199001010119", "11010519990230002X", "110105203001010021",
              "110105188912310021", "110105194912310001", "110105491231002", "", "11010519491231A02X"]
    # the 830000 number's check character by hand: 8*7 + 3*9 + 1*2 + 9*1 + 9*6 + 1*9 + 1*5 + 1*4 + 1*2 = 168,
    # 168 mod 11 = 3, "10X98765432"[3] = "9"
    assert check_char("83000019900101011") == "9"
    col = validate_identity_numbers(values, today=TODAY)
    assert col.ok.tolist() == [True, True, True, False, False, True, False, False, False, False, False, False,
                               False]
    assert col.numbers[1] == "11010519491231002X"
    assert [col.birth_dates[i] for i in (0, 2, 5)] == [date(1949, 12, 31), date(1991, 1, 1), date(1990, 1, 1)]
    assert [col.sexes[i] for i in (0, 2, 5)] == ["2", "1", "1"]
    assert col.birth_dates[3] is None
    empty = validate_identity_numbers([], today=TODAY)
    assert empty.ok.tolist() == [] and empty.numbers == []


def _scalar(value: str, today: date):
    """(accepted as an 18-character number, normalised number, birth date, sex) by the scalar path."""
    try:
        info = parse_identity_number(value, today=today)
    except FieldError:
        return False, None, None, None
    if len(value.strip().upper()) != 18:  # the 15-digit form: upgraded by the scalar path only
        return False, None, None, None
    return True, info.number, info.birth_date, info.sex


@st.composite
def near_numbers(draw):
    """A valid number with at most one part changed (then given its right check character, or at
    times another one): the address (830000 is valid, other 83xxxx and unknown provinces are not),
    the birth date (month 00-13, day 00-32, years 0000-2100; a day after the month's end), or the
    sequence (000)."""
    address, birth, sequence = draw(address_codes), draw(past_dates), draw(st.integers(1, 999))
    date8 = f"{birth:%Y%m%d}"
    part = draw(st.sampled_from(["none", "address", "date", "day_after_month_end", "sequence"]))
    if part == "address":
        address = draw(st.one_of(st.just("830000"), st.integers(0, 9999).map("83{:04d}".format),
                                 st.integers(0, 999999).map("{:06d}".format)))
    elif part == "date":
        date8 = (f"{draw(st.one_of(st.integers(1885, 2100), st.integers(0, 9999))):04d}"
                 f"{draw(st.integers(0, 13)):02d}{draw(st.one_of(st.integers(28, 31), st.integers(0, 32))):02d}")
    elif part == "day_after_month_end":  # 19990230, 20230431: month and day each in range, not a date
        last = calendar.monthrange(birth.year, birth.month)[1]
        date8 = f"{birth:%Y%m}{draw(st.integers(last + 1, 32)):02d}"
    elif part == "sequence":
        sequence = 0
    body = f"{address}{date8}{sequence:03d}"
    check = draw(st.one_of(st.just(check_char(body)), st.just(check_char(body)),
                           st.sampled_from(CHECK_CHARS + "x")))
    return body + check


eighteen = st.one_of(
    near_numbers(),
    near_numbers(),
    valid_numbers(),
    st.text(alphabet="0123456789Xx", min_size=18, max_size=18),
    st.text(min_size=18, max_size=18),  # any characters: letters, other scripts, whitespace
    valid_numbers().map(lambda n: f" {n.lower()}\t"),  # normalised the same way by both paths
)


@settings(max_examples=400)
@given(st.lists(eighteen, min_size=1, max_size=40),
       st.one_of(st.just(TODAY), st.dates(min_value=date(1890, 1, 1), max_value=date(2100, 1, 1))))
def test_column_path_agrees_with_the_scalar_path(values, today):
    col = validate_identity_numbers(values, today=today)
    for i, value in enumerate(values):
        ok, number, birth, sex = _scalar(value, today)
        assert bool(col.ok[i]) is ok, value
        if ok:
            assert (col.numbers[i], col.birth_dates[i], col.sexes[i]) == (number, birth, sex), value
        else:
            assert col.birth_dates[i] is None
