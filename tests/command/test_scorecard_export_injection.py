"""The scorecard XLSX: names that look like formulas (a department or street named by a person)
are written as text, never as a formula (core/spreadsheet.py)."""

import io

from tests.command import score_world as w

world = w.world  # the shared scorecard world (tests/command/score_world.py)


def test_formula_like_names_are_text(world, client):
    from openpyxl import load_workbook

    from gridgov.cases.models import Department
    from gridgov.geo.models import Division

    Department.objects.filter(code="310101-cm").update(name='=HYPERLINK("http://x","点")')
    Division.objects.filter(prefix=w.B).update(name="+1+2")
    client.force_login(world["district"])
    r = client.get(f"/command/scorecards/{w.DISTRICT}/export.xlsx?month=2026-10")
    wb = load_workbook(io.BytesIO(r.content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith(("=", "+"))]
    assert {c.value for c in risky} == {'=HYPERLINK("http://x","点")', "+1+2"}
    assert all(c.data_type == "s" for c in risky)
