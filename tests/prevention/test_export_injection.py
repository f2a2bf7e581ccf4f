"""The import templates of the prevention networks (/prevention/import/<network>/template.xlsx) hold
no formula: every cell is text written through core.spreadsheet."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook


@pytest.mark.parametrize("network", ["patrol_units", "defence_teams", "venues", "cameras"])
def test_templates_have_no_formula(client, make_user, network):
    client.force_login(make_user("prev_t", ("police_officer", "310101")))
    response = client.get(f"/prevention/import/{network}/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type == "s" for c in cells)
