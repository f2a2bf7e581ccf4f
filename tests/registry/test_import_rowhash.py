"""The row hash of the person import (issue 16 item 7): an unchanged re-imported row is skipped
without reading it, counted as unchanged; a changed row is updated and its new hash stored; an edit
made elsewhere (a new version) makes the row compared field by field again; a bad row still
refuses the whole file with the exact row report and writes nothing."""

import hashlib
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.core.idnumber import make_identity_number
from gridgov.registry.imports import import_file
from gridgov.registry.models import Person
from gridgov.registry.services import person_update
from tests.registry.test_registry_import import write_csv

HEADER = ["公民身份号码", "姓名", "民族", "联系方式", "人口类型", "网格编码"]


def _rows(place, n):
    return [[make_identity_number("320583", date(1985, 3, 1 + i), 11 + 2 * i), "王" + "甲乙丙丁戊己庚辛壬癸"[i],
             "01", f"1391234{i:04d}", "02", place["a1"]] for i in range(n)]


def _state():
    return {p["id_hmac"]: p for p in Person.objects.values("id_hmac", "name", "phone", "version", "updated_at",
                                                              "import_hash")}


def _row_reads(queries):
    """Queries that read whole person rows (the field-by-field compare selects the name column)."""
    return [q["sql"] for q in queries if "registry_person" in q["sql"] and q["sql"].lstrip().upper().startswith(
        "SELECT") and '"name"' in q["sql"]]


def test_unchanged_reimport_is_skipped_by_hash_without_reading_rows(tmp_path, place, users):
    path = write_csv(tmp_path / "p.csv", HEADER, _rows(place, 8))
    first = import_file(kind="persons", path=path, actor=users["street_a"])
    assert first.written and first.created == 8
    before = _state()
    assert all(len(p["import_hash"]) == 16 for p in before.values())
    with CaptureQueriesContext(connection) as ctx:
        again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert again.written
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 8, 0)
    assert again.as_dict()["unchanged"] == 8
    assert _row_reads(ctx.captured_queries) == []
    assert _state() == before  # nothing written: versions, times, hashes as they were


def test_hash_is_blake2b_of_the_normalised_fields_and_version(tmp_path, place, users):
    rows = _rows(place, 1)
    path = write_csv(tmp_path / "p.csv", HEADER, rows)
    import_file(kind="persons", path=path, actor=users["street_a"])
    p = Person.objects.get()
    # independent oracle: COMPARED order, "\x1f"-joined, None as "", then the version
    number = rows[0][0]
    birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    sex = "1" if int(number[16]) % 2 else "2"
    fields = ["111", "", rows[0][1], "", sex, birth, "01", "CN", "320583", "", rows[0][3], "02", place["a1"], ""]
    text = "\x1f".join(fields) + "\x1f1"
    assert p.import_hash == hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def test_changed_rows_are_updated_and_then_skipped(tmp_path, place, users):
    rows = _rows(place, 6)
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, rows), actor=users["street_a"])
    before = _state()
    rows[2][1] = "李四"
    rows[4][3] = "13900000000"
    changed = write_csv(tmp_path / "b.csv", HEADER, rows)
    second = import_file(kind="persons", path=changed, actor=users["street_a"])
    assert (second.created, second.updated, second.unchanged) == (0, 2, 4)
    after = _state()
    moved = [h for h in after if after[h]["version"] != before[h]["version"]]
    assert len(moved) == 2
    assert sorted(after[h]["name"] for h in moved) == sorted(["李四", rows[4][1]])
    assert all(after[h]["version"] == 2 and after[h]["import_hash"] != before[h]["import_hash"] for h in moved)
    with CaptureQueriesContext(connection) as ctx:
        third = import_file(kind="persons", path=changed, actor=users["street_a"])
    assert (third.created, third.updated, third.unchanged) == (0, 0, 6)
    assert _row_reads(ctx.captured_queries) == []


def test_an_edit_elsewhere_makes_the_row_compared_again(tmp_path, place, users):
    rows = _rows(place, 3)
    path = write_csv(tmp_path / "p.csv", HEADER, rows)
    import_file(kind="persons", path=path, actor=users["street_a"])
    p = Person.objects.get(phone=rows[1][3])
    person_update(actor=users["street_a"], person_id=p.pk, data={"phone": "13800000001"})
    again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    p.refresh_from_db()
    assert p.phone == rows[1][3] and p.version == 3  # the file's phone is back


def test_a_row_without_hash_is_compared_field_by_field(tmp_path, place, users):
    path = write_csv(tmp_path / "p.csv", HEADER, _rows(place, 4))
    import_file(kind="persons", path=path, actor=users["street_a"])
    Person.objects.update(import_hash="")  # rows from before the hash (migration default)
    with CaptureQueriesContext(connection) as ctx:
        again = import_file(kind="persons", path=path, actor=users["street_a"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert len(_row_reads(ctx.captured_queries)) >= 1


def test_a_bad_row_refuses_the_file_and_writes_nothing(tmp_path, place, users):
    rows = _rows(place, 5)
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, rows), actor=users["street_a"])
    before = _state()
    rows[0][1] = "赵六"  # a change that would be written ...
    rows.append([make_identity_number("320583", date(1986, 4, 2), 21), "钱七", "01", "13912340099", "02",
                 place["a1"]])  # ... and a new row ...
    rows[3][0] = rows[3][0][:-1] + ("0" if rows[3][0][-1] != "0" else "1")  # ... but a bad check digit (row 5)
    result = import_file(kind="persons", path=write_csv(tmp_path / "b.csv", HEADER, rows), actor=users["street_a"])
    assert not result.written
    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 0, 0, 1)
    assert [(d.row, d.field) for d in result.details] == [(5, "identity_number")]
    assert _state() == before and Person.objects.count() == 5


def _probe_misses(monkeypatch):
    """The batch's probes (by the raw identity cells, then by the validated rows) ran before another
    writer committed its rows (a concurrent import)."""
    from gridgov.registry.imports import PersonImporter

    monkeypatch.setattr(PersonImporter, "_skip_unchanged", lambda self, batch: (batch, None))
    monkeypatch.setattr(PersonImporter, "_existing", lambda self, good: ({}, {}, set()))


def test_a_key_registered_meanwhile_refuses_the_file_with_its_row(tmp_path, place, users, monkeypatch):
    rows = _rows(place, 4)
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, rows[1:2]), actor=users["street_a"])
    before = _state()
    _probe_misses(monkeypatch)
    result = import_file(kind="persons", path=write_csv(tmp_path / "b.csv", HEADER, rows), actor=users["street_a"])
    assert not result.written
    assert [(d.row, d.field, d.code) for d in result.details] == [(3, "identity_number", "concurrent")]
    assert _state() == before and Person.objects.count() == 1


def test_a_key_registered_meanwhile_in_valid_rows_mode_keeps_the_others(tmp_path, place, users, monkeypatch):
    rows = _rows(place, 4)
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, rows[1:2]), actor=users["street_a"])
    _probe_misses(monkeypatch)
    result = import_file(kind="persons", path=write_csv(tmp_path / "b.csv", HEADER, rows), actor=users["street_a"],
                         mode="valid-rows")
    assert result.written and (result.created, result.rejected) == (3, 1)
    assert [(d.row, d.code) for d in result.details] == [(3, "concurrent")]
    assert sorted(Person.objects.values_list("phone", flat=True)) == sorted(r[3] for r in rows)


def test_the_concurrent_message_is_translated(tmp_path, place, users, monkeypatch):
    from django.utils import translation

    rows = _rows(place, 2)
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, rows[:1]), actor=users["street_a"])
    _probe_misses(monkeypatch)
    with translation.override("zh-hans"):
        result = import_file(kind="persons", path=write_csv(tmp_path / "b.csv", HEADER, rows),
                             actor=users["street_a"])
    assert result.details[0].message == "导入期间已被其他导入或用户登记，请重新导入该文件"


def test_a_key_added_after_the_start_into_an_empty_table(tmp_path, place, users, monkeypatch):
    """Into a table empty at the start, PostgreSQL skips the probes (so does SQLite holding the write
    lock): a key another writer adds meanwhile is then caught by the unique index and reported with
    its row; with the probes on, the row is found and updated."""
    from gridgov.registry import db_adapter
    from gridgov.registry.identity import blind_indexer
    from gridgov.registry.imports import PersonImporter

    rows = _rows(place, 4)
    real_write = PersonImporter.write
    seen = {}

    def write_after_another_writer(self, good, today):
        if not seen:
            seen["empty_at_start"] = self.empty_at_start
            n = rows[2][0]
            Person.objects.create(identity_number=n, id_hmac=blind_indexer()(n), id_last4=n[-4:], name="别人",
                                  grid_code=place["a1"])
        return real_write(self, good, today)

    monkeypatch.setattr(PersonImporter, "write", write_after_another_writer)
    result = import_file(kind="persons", path=write_csv(tmp_path / "b.csv", HEADER, rows), actor=users["street_a"])
    assert seen["empty_at_start"] == db_adapter.empty_table_needs_no_probe(connection)
    if seen["empty_at_start"]:
        assert not result.written
        assert [(d.row, d.code) for d in result.details] == [(4, "concurrent")]
    else:
        assert result.written and (result.created, result.updated) == (3, 1)
        assert Person.objects.get(phone=rows[2][3]).name == rows[2][1]
    if connection.vendor == "postgresql":
        assert seen["empty_at_start"]
