"""The monthly scorecard as XLSX (read back with openpyxl) and as a Chinese PDF (pdftotext, pdffonts)."""

import io
import subprocess

import pytest

from tests.command import score_world as w

world = w.world  # the shared scorecard world (tests/command/score_world.py)


def test_xlsx_holds_the_numbers(world, client):
    from openpyxl import load_workbook

    from gridgov.core.models import AuditEvent

    client.force_login(world["district"])
    r = client.get(f"/command/scorecards/{w.DISTRICT}/export.xlsx?month=2026-10")
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content))
    ws = wb.worksheets[0]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[1][:3] == ["编码", "名称", "按期结案率"]
    by_code = {row[0]: row for row in rows[2:] if row and row[0]}
    a = by_code[w.A]
    assert a[1] == "南京东路街道"
    assert a[2] == pytest.approx(0.5)            # on-time closure 2/4
    assert a[3] == pytest.approx(0.5)            # satisfaction 1/2
    assert a[8] == pytest.approx(round(100 * 36.25 / 65, 2))  # score
    assert a[9] == "2/2"
    assert by_code[w.B][8] == pytest.approx(100.0)
    assert by_code[w.C][8] is None
    depts = [list(row) for row in wb.worksheets[1].iter_rows(values_only=True)]
    cm = next(row for row in depts if row[0] == "310101-cm")
    assert cm[2] == pytest.approx(0.5) and cm[5] == pytest.approx(70.0)
    assert AuditEvent.objects.filter(action="EXPORT", object_type="command_scorecard",
                                     object_id=f"{w.DISTRICT}:2026-10").count() == 1


def test_pdf_is_chinese_with_embedded_fonts(world, client, tmp_path):
    client.force_login(world["district"])
    r = client.get(f"/command/scorecards/{w.DISTRICT}/export.pdf?month=2026-10")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    path = tmp_path / "s.pdf"
    path.write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for word in ("月度考核", "黄浦区", "南京东路街道", "按期结案率", "55.8", "黄浦区城管执法局"):
        assert word in text, word
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    lines = [ln for ln in fonts.splitlines()[2:] if ln.strip()]
    assert lines, fonts
    for ln in lines:
        # columns: name type encoding emb sub uni object ID — every font embedded
        assert ln.split()[-5] == "yes", ln


def test_street_export_is_scoped(world, client):
    client.force_login(world["street_a"])
    assert client.get(f"/command/scorecards/{w.DISTRICT}/export.pdf?month=2026-10").status_code == 404
    r = client.get(f"/command/scorecards/{w.A}/export.xlsx?month=2026-10")
    from openpyxl import load_workbook

    codes = [row[0] for row in load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True)]
    assert w.A in codes and w.B not in codes and w.DISTRICT not in codes
