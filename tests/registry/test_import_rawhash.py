"""The raw row hash of the person import (issue 16 item 7): a re-imported row whose raw cells (under
the same header) are those the last import wrote at the stored version is recognised unchanged
before it is validated; every other row is validated and compared as before. What the import
reports and writes is the same as with the raw hash unknown (the full path, the oracle here)."""

import hashlib
from datetime import date

import pytest

from gridgov.core.idnumber import make_identity_number
from gridgov.registry.imports import PersonImporter, import_file
from gridgov.registry.models import Person, Residence
from gridgov.registry.services import house_update, person_move_out, person_update
from tests.registry.test_registry_import import write_csv

HEADER = ["公民身份号码", "姓名", "民族", "联系方式", "人口类型", "网格编码"]
FIELDS = ["identity_number", "name", "ethnicity", "phone", "population_type", "grid_code"]


def _rows(place, n, grid="a1"):
    # odd sequence numbers: men (sex "1")
    return [[make_identity_number("320583", date(1985, 3, 1 + i), 11 + 2 * i), "王" + "甲乙丙丁戊己庚辛壬癸"[i],
             "01", f"1391234{i:04d}", "02", place[grid]] for i in range(n)]


def _state():
    return {p["id_hmac"]: p for p in Person.objects.values(
        "id_hmac", "name", "phone", "sex", "status", "house_id", "grid_code", "version", "updated_at", "import_hash",
        "import_raw_hash")}


@pytest.fixture
def validated(monkeypatch):
    """The row numbers that reach validation (the real validator runs; this only records them)."""
    seen: list[int] = []
    real = PersonImporter._validate

    def recording(self, batch):
        seen.extend(number for number, _ in batch)
        return real(self, batch)

    monkeypatch.setattr(PersonImporter, "_validate", recording)
    return seen


def _oracle(path, **kw):
    """The same import with every raw hash unknown (the full validation and compare), rolled back
    afterwards: what the import must report."""
    from django.db import transaction

    class Done(Exception):
        pass

    out = {}
    try:
        with transaction.atomic():
            Person.objects.update(import_raw_hash="")
            result = import_file(kind="persons", path=path, **kw)
            out["result"] = result
            out["state"] = _state()
            raise Done
    except Done:
        pass
    return out["result"], out["state"]


def _summary(result):
    return (result.written, result.created, result.updated, result.unchanged, result.rejected,
            [(d.row, d.field, d.code, d.message) for d in result.details])


def test_the_raw_hash_is_blake2b_of_the_header_the_cells_and_the_version(tmp_path, place, users):
    rows = _rows(place, 2)
    rows[1][1] = " 王乙 "  # cells as read: the spaces are part of the hash, not of the stored name
    import_file(kind="persons", path=write_csv(tmp_path / "p.csv", HEADER, rows), actor=users["street_a"])
    for row in rows:
        p = Person.objects.get(phone=row[3])
        text = "".join(f"{f}\x1e" for f in FIELDS) + "\x1f".join(row) + "\x1f1"
        assert p.import_raw_hash == hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    assert Person.objects.get(phone=rows[1][3]).name == "王乙"


def test_an_unchanged_file_is_recognised_without_validating_a_row(tmp_path, place, users, validated):
    path = write_csv(tmp_path / "p.csv", HEADER, _rows(place, 8))
    first = import_file(kind="persons", path=path, actor=users["street_a"])
    assert first.written and first.created == 8 and validated == list(range(2, 10))
    before = _state()
    validated.clear()
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.written, again.created, again.updated, again.unchanged, again.rejected) == (True, 0, 0, 8, 0)
    assert validated == []
    assert _state() == before  # nothing written


def test_a_row_changed_in_one_field_is_validated_and_updated(tmp_path, place, users, validated):
    rows = _rows(place, 5)
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, rows), actor=users["street_a"])
    before = _state()
    rows[2][3] = "13900000002"
    changed = write_csv(tmp_path / "b.csv", HEADER, rows)
    validated.clear()
    second = import_file(kind="persons", path=changed, actor=users["street_a"])
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 1, 4, 0)
    assert validated == [4]  # row 4 of the file (the header is row 1)
    after = _state()
    moved = [h for h in after if after[h] != before[h]]
    assert len(moved) == 1
    p = after[moved[0]]
    assert (p["phone"], p["version"]) == ("13900000002", 2)
    text = "".join(f"{f}\x1e" for f in FIELDS) + "\x1f".join(rows[2]) + "\x1f2"
    assert p["import_raw_hash"] == hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    validated.clear()
    third = import_file(kind="persons", path=changed, actor=users["street_a"])
    assert (third.created, third.updated, third.unchanged) == (0, 0, 5)
    assert validated == []


def test_a_person_edited_after_the_import_is_compared_in_full(tmp_path, place, users, validated):
    rows = _rows(place, 3)
    path = write_csv(tmp_path / "p.csv", HEADER, rows)
    import_file(kind="persons", path=path, actor=users["street_a"])
    p = Person.objects.get(phone=rows[1][3])
    person_update(actor=users["street_a"], person_id=p.pk, data={"phone": "13800000001"})
    validated.clear()
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    assert validated == [3]
    p.refresh_from_db()
    assert p.phone == rows[1][3] and p.version == 3  # the file's phone is back


def test_an_edit_that_changes_nothing_the_file_holds_is_kept(tmp_path, place, users, validated):
    rows = _rows(place, 2)
    path = write_csv(tmp_path / "p.csv", HEADER, rows)
    import_file(kind="persons", path=path, actor=users["street_a"])
    p = Person.objects.get(phone=rows[0][3])
    person_update(actor=users["street_a"], person_id=p.pk, data={"former_name": "王小甲"})
    validated.clear()
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert validated == [2]  # a new version: validated and compared, found unchanged
    p.refresh_from_db()
    assert (p.former_name, p.version) == ("王小甲", 2)


@pytest.mark.parametrize("cosmetic", ["spaces", "lower_x", "sex_label"])
def test_a_cosmetic_difference_is_validated_and_found_unchanged(tmp_path, place, users, validated, cosmetic):
    header = [*HEADER, "性别"]
    rows = [[*r, "1"] for r in _rows(place, 3)]
    x_number = next(make_identity_number("320583", date(1979, 1, d), 1) for d in range(1, 29)
                    if make_identity_number("320583", date(1979, 1, d), 1).endswith("X"))
    rows[0][0] = x_number
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", header, rows), actor=users["street_a"])
    before = _state()
    edited = [list(r) for r in rows]
    if cosmetic == "spaces":
        edited[1][1] = f"  {edited[1][1]} "
        edited[1][0] = f" {edited[1][0]}"
    elif cosmetic == "lower_x":
        edited[0][0] = x_number.lower()
    else:
        edited[2][-1] = "男"
    validated.clear()
    again = import_file(kind="persons", path=write_csv(tmp_path / "b.csv", header, edited), actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 0)
    assert len(validated) == 1
    assert _state() == before
    # a real change beside the cosmetic one is written
    edited[0][3] = edited[1][3] = edited[2][3] = "13700000000"
    edited[1][3], edited[2][3] = "13700000001", "13700000002"
    third = import_file(kind="persons", path=write_csv(tmp_path / "c.csv", header, edited), actor=users["street_a"])
    assert (third.created, third.updated, third.unchanged) == (0, 3, 0)
    assert sorted(Person.objects.values_list("phone", flat=True)) == ["13700000000", "13700000001", "13700000002"]


def test_a_person_moved_out_is_moved_back_and_reactivated(tmp_path, place, houses, users, validated):
    header = ["公民身份号码", "姓名", "人口类型", "房屋编号"]
    rows = [[r[0], r[1], "02", "H-A1-1"] for r in _rows(place, 3)]
    path = write_csv(tmp_path / "p.csv", header, rows)
    import_file(kind="persons", path=path, actor=users["street_a"])
    p = Person.objects.get(name=rows[1][1])
    person_move_out(actor=users["street_a"], person_id=p.pk, reason="迁出")
    validated.clear()
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    assert validated == [3]
    p.refresh_from_db()
    assert (p.status, p.house_id) == (Person.Status.ACTIVE, houses["a1_1"].pk)
    assert Residence.objects.filter(person=p, end_date__isnull=True, house=houses["a1_1"]).count() == 1


def test_a_house_moved_to_another_grid_makes_its_residents_compared(tmp_path, place, houses, users, validated):
    header = ["公民身份号码", "姓名", "人口类型", "房屋编号"]
    rows = [[r[0], r[1], "02", "H-A1-1" if i < 2 else "H-A1-2"] for i, r in enumerate(_rows(place, 3))]
    path = write_csv(tmp_path / "p.csv", header, rows)
    import_file(kind="persons", path=path, actor=users["street_a"])
    house_update(actor=users["street_a"], house_id=houses["a1_1"].pk, data={"grid_code": place["a2"]})
    before = _state()
    validated.clear()
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert validated == [2, 3]  # the house's residents (their row hash was cleared): compared in full
    assert _state() == before
    assert set(Person.objects.filter(house=houses["a1_1"]).values_list("grid_code", flat=True)) == {place["a2"]}


def test_another_jurisdiction_gets_the_report_of_the_full_path(tmp_path, place, users, validated):
    path = write_csv(tmp_path / "p.csv", HEADER, _rows(place, 3))
    import_file(kind="persons", path=path, actor=users["street_a"])
    before = _state()
    expected, _ = _oracle(path, actor=users["street_b"])
    assert not expected.written and expected.rejected == 3  # the oracle: refused, every row out of jurisdiction
    result = import_file(kind="persons", path=path, actor=users["street_b"])
    assert _summary(result) == _summary(expected)
    assert _state() == before


def test_a_duplicate_of_an_unchanged_row_is_reported_as_before(tmp_path, place, users, validated):
    rows = _rows(place, 3)
    rows.append(list(rows[0]))  # row 5 repeats row 2
    path = write_csv(tmp_path / "p.csv", HEADER, rows)
    first = import_file(kind="persons", path=path, actor=users["street_a"], mode="valid-rows")
    assert first.created == 3 and [(d.row, d.code) for d in first.details] == [(5, "duplicate_in_file")]
    before = _state()
    expected, _ = _oracle(path, actor=users["street_a"], mode="valid-rows")
    validated.clear()
    again = import_file(kind="persons", path=path, actor=users["street_a"], mode="valid-rows")
    assert validated == []
    assert _summary(again) == _summary(expected)
    assert (again.unchanged, again.rejected) == (3, 1)
    assert again.details[0].message == first.details[0].message
    assert _state() == before


def test_a_birth_date_after_today_is_refused_as_before(tmp_path, place, users, validated):
    path = write_csv(tmp_path / "p.csv", HEADER, _rows(place, 3))
    import_file(kind="persons", path=path, actor=users["street_a"])
    earlier = date(1985, 3, 2)  # before the third person's birth (1985-03-03)
    expected, _ = _oracle(path, actor=users["street_a"], today=earlier)
    result = import_file(kind="persons", path=path, actor=users["street_a"], today=earlier)
    assert [(d.row, d.code) for d in expected.details] == [(4, "birth_date")]
    assert _summary(result) == _summary(expected)


def test_a_grid_that_no_longer_exists_is_refused_as_before(tmp_path, place, users, validated):
    from gridgov.geo.models import Grid

    path = write_csv(tmp_path / "p.csv", HEADER, _rows(place, 2, grid="a2"))
    import_file(kind="persons", path=path, actor=users["street_a"])
    Grid.objects.filter(code=place["a2"]).delete()
    expected, _ = _oracle(path, actor=users["street_a"])
    result = import_file(kind="persons", path=path, actor=users["street_a"])
    assert [(d.row, d.code) for d in expected.details] == [(2, "unknown_grid"), (3, "unknown_grid")]
    assert _summary(result) == _summary(expected)


def test_a_register_without_raw_hashes_is_validated_and_compared(tmp_path, place, users, validated):
    path = write_csv(tmp_path / "p.csv", HEADER, _rows(place, 4))
    import_file(kind="persons", path=path, actor=users["street_a"])
    Person.objects.update(import_raw_hash="")  # rows written before the raw hash (migration default)
    before = _state()
    validated.clear()
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert validated == [2, 3, 4, 5]
    assert _state() == before  # an unchanged row is not written, not even its raw hash
