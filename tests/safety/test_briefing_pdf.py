"""The briefing PDF embeds every font it uses (poppler's pdffonts), page 1 renders (pdftoppm), every
character printed has a glyph in the embedded font (no tofu box, "·" included; the font's cmap read
by ReportLab's TrueType parser) and the figures are the database's (raw SQL). Needs poppler-utils
(.ci/run installs it); a missing tool fails the test."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from reportlab.pdfbase.ttfonts import TTFontFile

from gridgov.safety import report

TZ = ZoneInfo("Asia/Shanghai")


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: install poppler-utils"
    return path


@pytest.fixture
def pdf(demo, make_user, tmp_path) -> Path:
    client = Client()
    client.force_login(make_user("dist_pdf", ("district_centre", "310101")))
    r = client.get("/safety/briefing.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    path = tmp_path / "briefing.pdf"
    path.write_bytes(r.content)
    return path


def test_every_font_is_embedded_and_page_one_renders(pdf, tmp_path):
    out = subprocess.run([_tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["name", "type"] and set(lines[1]) <= {"-", " "}
    fonts = [line.split() for line in lines[2:] if line.strip()]
    assert fonts, out
    for parts in fonts:
        assert parts[-5] == "yes", f"font not embedded: {parts}"  # emb (then sub, uni, object, generation)
        assert parts[1] == "TrueType" and parts[0].endswith("WenQuanYiMicroHei"), parts
    subprocess.run([_tool("pdftoppm"), "-f", "1", "-l", "1", "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, capture_output=True)
    (png,) = tmp_path.glob("page*.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def test_every_character_has_a_glyph_and_the_figures_are_right(pdf):
    text = subprocess.run([_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    cmap = TTFontFile(str(report.FONT_FILE)).charToGlyph
    printed = {ch for ch in text if not ch.isspace()}
    assert "·" in printed and "蓝色（四级）" in text and "区域" in text and "面积" not in text
    missing = sorted(ch for ch in printed if cmap.get(ord(ch), 0) == 0)
    assert not missing, f"no glyph (a box on paper) for {missing}"
    today = datetime.now(TZ).date()
    week = today - timedelta(days=today.weekday() + 7)
    with connection.cursor() as cur:
        cur.execute("SELECT i.week_start, COUNT(*) FROM safety_incident i WHERE i.grid_code LIKE %s "
                    "AND i.origin = 'reported' AND i.week_start IN (%s, %s, %s) GROUP BY i.week_start",
                    ["310101%", week, week - timedelta(weeks=1), week - timedelta(weeks=52)])
        by_week = {str(w)[:10]: n for w, n in cur.fetchall()}
        cur.execute("SELECT COUNT(*) FROM safety_incident WHERE grid_code LIKE %s AND origin = 'discovered' "
                    "AND week_start = %s", ["310101%", week])
        (discovered,) = cur.fetchone()
    totals = [by_week.get(str(week), 0), by_week.get(str(week - timedelta(weeks=1)), 0),
              by_week.get(str(week - timedelta(weeks=52)), 0), discovered]
    (total_line,) = [line for line in text.splitlines() if line.strip().startswith("合计")]
    assert [int(x) for x in total_line.split()[1:]] == totals
    assert f"{week:%Y-%m-%d}" in text and "最近一个完整周" in text
