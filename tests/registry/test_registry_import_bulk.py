"""Large imports: non-unique indexes deferred and rebuilt (SQLite), no existence probes into an empty
table, per-batch constants written once — all without changing what an import writes or reports."""

from datetime import UTC, date

import pytest
from django.db import connection

from gridgov.core.idnumber import make_identity_number
from gridgov.registry import db_adapter, imports
from gridgov.registry.imports import import_file
from gridgov.registry.models import Person
from tests.registry.test_registry_import import write_csv

HEADER = ["公民身份号码", "姓名", "民族", "联系方式", "人口类型", "网格编码", "户籍地址", "曾用名"]


def _indexes(table):
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, table)
    return sorted((tuple(c["columns"]), bool(c["unique"])) for c in constraints.values() if c["index"])


def _rows(place, n, *, address="上海路1号", former=""):
    return [[make_identity_number("320583", date(1980, 1, 1 + i % 28), 11 + 2 * (i // 28)), "张" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10 % 12],
             "01", f"139{i:08d}", "02", place["a1"] if i % 2 else place["a2"], address, former] for i in range(n)]


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 50 rows; a file of 100 rows or more counts as large. (The size of a file is estimated
    from the bytes read for its first batch: the files here are larger than one 8 KB read.)"""
    monkeypatch.setattr(imports, "BATCH", 50)
    monkeypatch.setattr(imports, "DEFER_MIN_ROWS", 100)
    calls = []
    real = db_adapter.deferred_indexes

    def recording(conn, table):
        handle = real(conn, table)
        calls.append((table, list(handle.dropped)))
        return handle

    monkeypatch.setattr(db_adapter, "deferred_indexes", recording)
    return calls


def test_large_import_builds_the_indexes_once_and_leaves_them_as_they_were(tmp_path, place, users, small_batches):
    before = _indexes(Person._meta.db_table)
    path = write_csv(tmp_path / "p.csv", HEADER, _rows(place, 600))
    result = import_file(kind="persons", path=path, actor=users["street_a"])
    assert result.written and result.created == 600, result.as_dict()
    assert _indexes(Person._meta.db_table) == before
    tables = [t for t, _ in small_batches]
    assert Person._meta.db_table in tables
    dropped = dict(small_batches)[Person._meta.db_table]
    if connection.vendor == "sqlite":
        # the non-unique ones only: the blind index and the document constraint stay
        assert "registry_person_grid_name" in dropped and "registry_person_doc_unique" not in dropped
        assert len(dropped) >= 4
    else:
        assert dropped == []  # PostgreSQL: DROP INDEX would lock readers out; nothing is deferred
    # the rebuilt indexes serve the search
    assert Person.objects.filter(grid_code__startswith=place["a1"], name__startswith="张").count() == 300
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 600)


def test_small_file_or_big_table_is_not_deferred(tmp_path, place, users, small_batches):
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, _rows(place, 40)), actor=users["street_a"])
    assert small_batches == []  # less than one batch
    # about 400 rows into a table of 2,040: 400 x 4 < 2,040, the indexes take the rows one by one
    rows = _rows(place, 2480)
    import_file(kind="persons", path=write_csv(tmp_path / "b.csv", HEADER, rows[40:2040]), actor=users["street_a"])
    assert [t for t, _ in small_batches] == [Person._meta.db_table]  # no house column: no residence rows
    small_batches.clear()
    result = import_file(kind="persons", path=write_csv(tmp_path / "c.csv", HEADER, rows[2040:]),
                         actor=users["street_a"])
    assert result.created == 440 and small_batches == []


def test_a_bad_row_after_the_indexes_were_dropped_writes_nothing_and_keeps_them(tmp_path, place, users,
                                                                               small_batches):
    before = _indexes(Person._meta.db_table)
    rows = _rows(place, 600)
    rows[550][3] = "123"  # row 552 of the file, in the twelfth batch
    result = import_file(kind="persons", path=write_csv(tmp_path / "p.csv", HEADER, rows), actor=users["street_a"])
    assert not result.written and [(d.row, d.field) for d in result.details] == [(552, "phone")]
    assert small_batches  # the indexes had been dropped when the bad row came
    assert Person.objects.count() == 0 and _indexes(Person._meta.db_table) == before
    partial = import_file(kind="persons", path=write_csv(tmp_path / "p.csv", HEADER, rows),
                          actor=users["street_a"], mode="valid-rows")
    assert partial.written and partial.created == 599 and Person.objects.count() == 599
    assert _indexes(Person._meta.db_table) == before


def test_duplicate_in_a_later_batch_into_an_empty_table_is_reported_not_an_error(tmp_path, place, users,
                                                                                small_batches):
    rows = _rows(place, 200)
    rows.append(list(rows[1]))  # row 202 repeats row 3, four batches later
    path = write_csv(tmp_path / "d.csv", HEADER, rows)
    result = import_file(kind="persons", path=path, actor=users["street_a"], mode="valid-rows")
    assert [(d.row, d.code) for d in result.details] == [(202, "duplicate_in_file")]
    assert "第 3 行" in result.details[0].message
    assert result.written and result.created == 200 and Person.objects.count() == 200


def test_values_shared_by_a_whole_batch_are_stored_exactly(tmp_path, place, users, small_batches):
    odd = "O'Neil 路 100% 号 %s"  # quotes and percent signs in a value written once per batch
    rows = _rows(place, 100, address=odd, former="张三丰")
    rows[99][6] = "别的地址"  # the second batch has two different addresses: bound per row there
    result = import_file(kind="persons", path=write_csv(tmp_path / "c.csv", HEADER, rows), actor=users["street_a"])
    assert result.created == 100, result.as_dict()
    stored = list(Person.objects.order_by("phone").values_list("hukou_address", "former_name", "doc_number",
                                                               "status", "version", "empty_registration",
                                                               "house_id"))
    assert stored == [(odd, "张三丰", "", "active", 1, False, None)] * 99 + [("别的地址", "张三丰", "", "active", 1,
                                                                               False, None)]
    created = set(Person.objects.values_list("created_at", flat=True))
    assert len(created) <= 2 and all(c.tzinfo is not None for c in created)
    # the comparison on re-import sees the same values
    again = import_file(kind="persons", path=write_csv(tmp_path / "c.csv", HEADER, rows), actor=users["street_a"])
    assert again.unchanged == 100 and again.updated == 0


def test_bulk_insert_constants_of_every_kind(place):
    """Each constant type (text with quotes and percent signs, NULL, bool, int, date, aware datetime)
    is stored as the value itself, on SQLite as a literal and on PostgreSQL through COPY."""
    from datetime import datetime

    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    constants = {"doc_type": "111", "doc_number": "", "former_name": "O'Neil%s%%", "sex": "1",
                 "birth_date": date(1980, 2, 29), "ethnicity": "01", "nationality": "CN", "hukou_division": "",
                 "hukou_address": "", "phone": "", "population_type": "02", "household_separated": True,
                 "empty_registration": False, "status": "active", "grid_code": place["a1"], "house_id": None,
                 "version": 3, "created_at": when, "updated_at": when}
    rows = [(n, (n * 4)[:64], n[-4:], name) for n, name in (("1" * 18, "甲"), ("2" * 18, "乙"))]
    db_adapter.bulk_insert(connection, Person._meta.db_table, ["identity_number", "id_hmac", "id_last4", "name"],
                           rows, constants)
    stored = list(Person.objects.order_by("identity_number").values(*constants, "identity_number", "name"))
    assert [(r["identity_number"], r["name"]) for r in stored] == [("1" * 18, "甲"), ("2" * 18, "乙")]
    for r in stored:
        assert {c: r[c] for c in constants} == constants


def test_seen_keys_agree_with_a_dictionary():
    """The run-merging key set reports exactly what a plain dict of first occurrences would."""
    import random

    rng = random.Random(7)
    seen, reference, row = imports._Seen(), {}, 2
    for _ in range(300):
        size = rng.choice([1, 3, 50, 200])
        keys = [rng.randrange(4000) * 0x9E3779B97F4A7C15 % 2**64 for _ in range(size)]
        rows = list(range(row, row + size))
        row += size
        expected = {}
        for i, (k, r) in enumerate(zip(keys, rows, strict=True)):
            if k in reference:
                expected[i] = reference[k]
            else:
                reference[k] = r
        assert seen.check_and_add(keys, rows) == expected
    assert len(seen) == len(reference) and len(seen.runs) <= 2 * len(reference).bit_length()


def test_residence_rows_of_a_large_import_at_houses(tmp_path, place, houses, users, small_batches):
    """Rows naming a house: one open residence each, with the stay columns, written in bulk."""
    from gridgov.registry.models import Residence

    header = ["公民身份号码", "姓名", "人口类型", "房屋编号", "与户主关系", "住所类型", "流入原因", "入住日期"]
    numbers = [r[0] for r in _rows(place, 400)]
    rows = [[n, "王五", "02", houses["a1_1" if i % 3 else "a2_2"].house_code, "99" if i % 2 else "02", "02", "01",
             "" if i % 5 == 0 else "2025-03-01"] for i, n in enumerate(numbers)]
    result = import_file(kind="persons", path=write_csv(tmp_path / "h.csv", header, rows), actor=users["street_a"],
                         today=date(2026, 11, 1))
    assert result.written and result.created == 400, result.as_dict()
    assert [t for t, _ in small_batches] == [Person._meta.db_table, Residence._meta.db_table]
    stays = {p.pk: p for p in Person.objects.all()}
    got = list(Residence.objects.order_by("person_id").values_list(
        "person_id", "house_id", "grid_code", "start_date", "end_date", "relation", "domicile_type", "inflow_reason",
        "end_reason"))
    assert len(got) == 400 and {g[0] for g in got} == set(stays)
    for person_id, house_id, grid_code, start, end, relation, domicile, inflow, end_reason in got:
        person = stays[person_id]
        assert (house_id, grid_code) == (person.house_id, person.grid_code) and end is None and end_reason == ""
        assert domicile == "02" and inflow == "01" and relation in ("99", "02")
        assert start in (date(2025, 3, 1), date(2026, 11, 1))
    assert Residence.objects.filter(start_date=date(2026, 11, 1)).count() == 80  # no date: the import's day
    assert not Residence.objects.filter(created_at__isnull=True).exists()
    again = import_file(kind="persons", path=write_csv(tmp_path / "h.csv", header, rows), actor=users["street_a"],
                        today=date(2026, 11, 2))
    assert again.unchanged == 400 and Residence.objects.count() == 400
