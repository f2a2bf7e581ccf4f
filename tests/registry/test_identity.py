"""The blind index is HMAC-SHA256 of the number under the key (checked against RFC 4231)."""

from gridgov.registry.identity import blind_index, blind_indexer


def test_blind_indexer_is_hmac_sha256_rfc4231_case_2():
    index = blind_indexer(b"Jefe")
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert index("what do ya want for nothing?") == expected
    assert index("what do ya want for nothing?") == expected  # the keyed state is reused, not consumed
    assert blind_index("what do ya want for nothing?", b"Jefe") != expected  # blind_index upper-cases first
    assert blind_index("WHAT DO YA WANT FOR NOTHING?", b"Jefe") == index("WHAT DO YA WANT FOR NOTHING?")


def test_blind_index_normalises_case_and_skips_blank():
    key = b"k" * 32
    assert blind_index("11010519491231002x", key) == blind_indexer(key)("11010519491231002X")
    assert blind_index(None, key) is None and blind_index("", key) is None
