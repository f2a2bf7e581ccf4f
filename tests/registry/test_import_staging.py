"""The person import's staging path (PostgreSQL: new rows copied into a temporary table, written in
one set-based statement at the end; SQLite: written batch by batch). The same file gives the same
rows, residences, counts and reports on both; a refused file leaves neither staged nor person rows."""

from datetime import date

from django.db import connection

from gridgov.core.idnumber import make_identity_number
from gridgov.registry import db_adapter, imports
from gridgov.registry.imports import import_file
from gridgov.registry.models import Person, Residence
from tests.registry.test_registry_import import write_csv

HEADER = ["公民身份号码", "证件代码", "证件号码", "姓名", "国籍", "出生日期", "联系方式", "人口类型", "房屋编号",
          "网格编码"]
TODAY = date(2025, 6, 1)


def _id(i):
    return make_identity_number("320583", date(1986, 4, 1 + i), 31 + 2 * i)


def _staging_tables() -> int:
    """Staging tables left on the import's connection (PostgreSQL temporary tables; none on SQLite)."""
    sql = ("SELECT count(*) FROM pg_class WHERE relname = %s" if connection.vendor == "postgresql"
           else "SELECT count(*) FROM sqlite_temp_master WHERE name = %s")
    with connection.cursor() as cur:
        cur.execute(sql, [db_adapter.STAGING])
        return cur.fetchone()[0]


def _persons():
    return sorted(Person.objects.values_list("identity_number", "doc_number", "name", "phone", "grid_code",
                                             "house__house_code", "version"), key=lambda r: r[2])


def _open_residences():
    return sorted(Residence.objects.filter(end_date__isnull=True).values_list(
        "person__name", "house__house_code", "grid_code", "start_date", "relation"))


def test_new_changed_and_unchanged_rows_write_exactly_the_expected_rows(tmp_path, place, houses, users):
    a, b, d = _id(0), _id(1), _id(2)
    first = [[a, "", "", "甲一", "", "", "13912340001", "02", "H-A1-1", ""],
             [b, "", "", "乙二", "", "", "13912340002", "02", "", place["a1"]],
             ["", "414", "E1234567", "John Smith", "US", "1980-02-02", "", "03", "", place["a1"]]]
    done = import_file(kind="persons", path=write_csv(tmp_path / "1.csv", HEADER, first), actor=users["street_a"],
                       today=TODAY)
    assert done.written and (done.created, done.updated, done.unchanged) == (3, 0, 0)
    second = [first[0],
              [b, "", "", "乙二", "", "", "13912349999", "02", "", place["a1"]],  # a new phone
              first[2],
              [d, "", "", "丁四", "", "", "13912340004", "02", "H-A1-2", ""],
              ["", "414", "E7654321", "Jane Doe", "GB", "1990-07-08", "", "03", "", place["a2"]]]
    again = import_file(kind="persons", path=write_csv(tmp_path / "2.csv", HEADER, second),
                        actor=users["street_a"], today=TODAY)
    assert again.written and again.details == []
    assert (again.created, again.updated, again.unchanged, again.rejected) == (2, 1, 2, 0)
    a1 = place["a1"]
    assert _persons() == [
        (None, "E7654321", "Jane Doe", "", place["a2"], None, 1),
        (None, "E1234567", "John Smith", "", a1, None, 1),
        (d, "", "丁四", "13912340004", a1, "H-A1-2", 1),
        (b, "", "乙二", "13912349999", a1, None, 2),
        (a, "", "甲一", "13912340001", a1, "H-A1-1", 1),
    ]
    assert _open_residences() == [("丁四", "H-A1-2", a1, TODAY, ""), ("甲一", "H-A1-1", a1, TODAY, "")]
    assert _staging_tables() == 0


def test_a_bad_row_in_a_later_batch_leaves_no_staged_or_person_rows(tmp_path, place, houses, users, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 2)  # the first two batches are staged before the bad row is read
    rows = [[_id(i), "", "", "王" + "甲乙丙丁"[i], "", "", f"1391234100{i}", "02", "H-A1-1", ""] for i in range(4)]
    rows.append([_id(4)[:-1] + ("0" if _id(4)[-1] != "0" else "1"), "", "", "王戊", "", "", "", "02", "", place["a1"]])
    result = import_file(kind="persons", path=write_csv(tmp_path / "bad.csv", HEADER, rows), actor=users["street_a"])
    assert not result.written
    assert [(d.row, d.field) for d in result.details] == [(6, "identity_number")]
    assert Person.objects.count() == 0 and Residence.objects.count() == 0
    assert _staging_tables() == 0


def test_a_key_registered_meanwhile_is_reported_from_a_later_batch(tmp_path, place, users, monkeypatch):
    """Another writer's key, found when the rows are written (the probe missed it): its row number is
    reported; all-or-nothing then refuses the file, valid-rows keeps the other rows."""
    monkeypatch.setattr(imports, "BATCH", 2)
    rows = [[_id(i), "", "", "李" + "甲乙丙丁戊"[i], "", "", f"1391235000{i}", "02", "", place["a1"]] for i in range(5)]
    import_file(kind="persons", path=write_csv(tmp_path / "a.csv", HEADER, rows[3:4]), actor=users["street_a"])
    monkeypatch.setattr(imports.PersonImporter, "_skip_unchanged", lambda self, batch: (batch, None))
    monkeypatch.setattr(imports.PersonImporter, "_existing", lambda self, good: ({}, {}, set()))
    path = write_csv(tmp_path / "b.csv", HEADER, rows)
    refused = import_file(kind="persons", path=path, actor=users["street_a"])
    assert not refused.written
    assert [(d.row, d.field, d.code) for d in refused.details] == [(5, "identity_number", "concurrent")]
    assert list(Person.objects.values_list("name", flat=True)) == ["李丁"]
    assert _staging_tables() == 0
    kept = import_file(kind="persons", path=path, actor=users["street_a"], mode="valid-rows")
    assert kept.written and (kept.created, kept.rejected) == (4, 1)
    assert [(d.row, d.code) for d in kept.details] == [(5, "concurrent")]
    assert sorted(Person.objects.values_list("name", flat=True)) == ["李丁", "李丙", "李乙", "李戊", "李甲"]
    assert _staging_tables() == 0
