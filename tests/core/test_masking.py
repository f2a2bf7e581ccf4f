import logging

from hypothesis import given
from hypothesis import strategies as st

from gridgov.core.masking import MaskingLogFilter, mask_identity_number, mask_phone, mask_text


def test_identity_number_keeps_first_six_and_last_four_never_the_birth_date():
    assert mask_identity_number("11010519491231002X") == "110105********002X"
    assert "19491231" not in mask_identity_number("11010519491231002X")
    assert mask_identity_number("110105491231002") == "110105*****1002"
    assert mask_identity_number("") == ""


def test_phone_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("021-6321") == "021-6321"[:3] + "*" + "6321"


@given(st.from_regex(r"\A[1-6]\d{16}[\dX]\Z"))
def test_mask_text_never_leaks_an_18_char_number(number):
    text = f"person {number} moved"
    masked = mask_text(text)
    assert number not in masked
    assert number[6:14] not in masked.replace(number[:6], "")


def test_log_filter_masks_arguments(caplog):
    logger = logging.getLogger("gridgov.test-mask")
    logger.addFilter(MaskingLogFilter())
    with caplog.at_level(logging.INFO, logger="gridgov.test-mask"):
        logger.info("looked up %s", "11010519491231002X")
    assert "11010519491231002X" not in caplog.text
    assert "110105********002X" in caplog.text
