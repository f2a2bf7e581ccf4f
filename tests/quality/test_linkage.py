"""quality/linkage.py: the normalisation, the pinyin key, the one-link-per-row rule, and the Splink model
on a synthetic Chinese list whose truth and typos are planted by quality/linksynth.py (the oracle: the
generator knows which rows are the same person, the model does not)."""

from __future__ import annotations

import pytest

from gridgov.quality import linkage, linksynth


def test_pinyin_key_joins_same_sound_characters():
    assert linkage.pinyin_key("王伟") == "wang wei"
    assert linkage.pinyin_key("汪玮") == "wang wei"
    assert linkage.pinyin_key("章静") == linkage.pinyin_key("张婧") == "zhang jing"
    assert linkage.pinyin_key("李明") != linkage.pinyin_key("李敏")
    assert linkage.pinyin_key("Smith") == "smith"
    assert linkage.pinyin_key("") == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("1990-03-25", "1990-03-25"), ("1990/3/5", "1990-03-05"), ("19900325", "1990-03-25"),
    ("1990年3月25日", "1990-03-25"), ("１９９０-０３-２５", "1990-03-25"),
    ("1990-25-03", "1990-25-03"),  # a day/month swap is kept for the model
    ("1990-25-25", None), ("25/03/1990", None), ("abc", None), ("1990-00-10", None),
])
def test_birth_date_spellings(text, expected):
    assert linkage.normalise_birth_date(text) == expected


def test_normalise_folds_values_and_takes_a_missing_birth_date_from_the_identity_number():
    [row] = linkage.normalise([{"record_id": " E1 ", "name": "欧阳 娜·娜", "sex": "女", "birth_date": "",
                                "identity_number": "31010119900325002x", "mobile": "+86 139-1234-5678",
                                "address": "黄浦区 南京东路 1号"}])
    assert row == {"record_id": "E1", "name": "欧阳娜娜", "name_py": "ou yang na na", "sex": "F",
                   "birth_date": "1990-03-25", "identity_number": "31010119900325002X",
                   "mobile": "13912345678", "address": "黄浦区南京东路1号"}


def test_normalise_refuses_every_bad_line_with_its_reason():
    rows = [{"record_id": "A", "sex": "男"}, {"record_id": "", "name": "x"}, {"record_id": "A"},
            {"record_id": "B", "sex": "unknown"}, {"record_id": "C", "birth_date": "31/12/1990"}]
    with pytest.raises(linkage.LinkInputError) as err:
        linkage.normalise(rows, source="ext.csv")
    assert err.value.problems == [
        "ext.csv:3: record_id: empty",
        "ext.csv:4: record_id: 'A' appears twice",
        "ext.csv:5: sex: 'unknown' is not 男/女 (M/F)",
        "ext.csv:6: birth_date: '31/12/1990' is not a date (YYYY-MM-DD)",
    ]


def test_best_links_keeps_one_register_row_per_external_row():
    pairs = [("E1", "R2", 0.95), ("E1", "R1", 0.97), ("E2", "R3", 0.93), ("E2", "R1", 0.93),
             ("E3", "R4", 0.5), ("E4", "R5", 0.9)]
    assert linkage.best_links(pairs, 0.9) == {"E1": ("R1", 0.97), "E2": ("R1", 0.93), "E4": ("R5", 0.9)}
    assert linkage.best_links(pairs, 0.96) == {"E1": ("R1", 0.97)}


def test_agreement_says_which_fields_differ():
    a = {"name": "王伟", "sex": "M", "birth_date": "1990-01-02", "identity_number": "X1", "mobile": None,
         "address": "a"}
    b = dict(a, name="王玮", mobile="139", address="b")
    assert linkage.agreement(a, b) == {"name": False, "sex": True, "birth_date": True, "identity_number": True,
                                       "mobile": None, "address": False}
    assert linkage.Link("E", "R", 0.99, linkage.agreement(a, b)).conflicts == ("name", "address")


@pytest.fixture(scope="module")
def synthetic():
    data = linksynth.generate(400, seed=11)
    links = linkage.link(linkage.normalise(data.register), linkage.normalise(data.external), threshold=0.9)
    return data, links


def test_splink_finds_the_planted_links_far_above_the_exact_join(synthetic):
    data, links = synthetic
    found = {lk.external_id: lk.register_id for lk in links}
    assert len(found) == len(links)  # one register row per external row
    ours = linksynth.scores(found, data.truth)
    assert ours["precision"] >= 0.99 and ours["recall"] >= 0.97
    by_id = {r["identity_number"]: r["record_id"] for r in data.register}
    exact = {e["record_id"]: by_id[e["identity_number"]] for e in data.external if e["identity_number"] in by_id}
    floor = linksynth.scores(exact, data.truth)
    assert floor["recall"] < 0.85
    assert ours["f1"] - floor["f1"] >= 0.08


@pytest.mark.parametrize("typo", ["name_homophone", "id_digit", "id_swap", "birth_swap", "mobile_digit",
                                  "mobile_empty", "address_form"])
def test_each_kind_of_typo_is_tolerated(synthetic, typo):
    data, links = synthetic
    found = {lk.external_id: lk.register_id for lk in links}
    rows = [e for e, kinds in data.typos.items() if typo in kinds]
    assert len(rows) >= 5, typo
    right = sum(1 for e in rows if found.get(e) == data.truth[e])
    assert right / len(rows) >= 0.95, (typo, right, len(rows))


def test_unregistered_people_are_not_linked(synthetic):
    data, links = synthetic
    linked = {lk.external_id for lk in links}
    unregistered = [e["record_id"] for e in data.external if e["record_id"] not in data.truth]
    assert len(unregistered) >= 30
    assert sum(1 for e in unregistered if e in linked) <= 1


def test_conflicting_fields_are_those_planted(synthetic):
    data, links = synthetic
    for lk in links:
        if data.truth.get(lk.external_id) != lk.register_id:
            continue
        kinds = data.typos[lk.external_id]
        expected = set()
        if "name_homophone" in kinds:
            expected.add("name")
        if {"id_digit", "id_swap"} & set(kinds):
            expected.add("identity_number")
        if "birth_swap" in kinds:
            expected.add("birth_date")
        if {"mobile_digit", "mobile_new"} & set(kinds):
            expected.add("mobile")
        if "address_form" in kinds:
            expected.add("address")
        assert set(lk.conflicts) == expected, (lk, kinds)


def test_a_hand_made_row_with_three_typos_links_to_its_person():
    data = linksynth.generate(200, seed=5)
    person = next(r for r in data.register if int(r["birth_date"][8:]) <= 12 and r["birth_date"][5:7] != r["birth_date"][8:])
    y, m, d = person["birth_date"].split("-")
    idn = person["identity_number"]
    typo = dict(person, record_id="X-1", birth_date=f"{y}-{d}-{m}",
                identity_number=idn[:10] + idn[11] + idn[10] + idn[12:] if idn[10] != idn[11] else idn[:-2] + "99",
                mobile="", address="")
    links = linkage.link(linkage.normalise(data.register), linkage.normalise([*data.external, typo]), threshold=0.9)
    assert {lk.external_id: lk.register_id for lk in links}["X-1"] == person["record_id"]
