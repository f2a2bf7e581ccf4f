"""Import of each network from the sheets the centres keep (CSV in UTF-8 or Excel .xlsx, first
sheet, one header row). The header may use the column keys (``code``) or their Chinese labels
(``编号``), as the downloadable template does. Every row is checked (row, field, reason) and the
whole file is written only when no row has a problem (all-or-nothing); the import is audited.

Sheets: patrol units, defence teams, key venues, cameras.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.accounts.scope import prefix_matcher, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.errors import ErrorDetail, ErrorReport, FieldError, NotFound
from gridgov.core.models import AuditAction
from gridgov.core.spreadsheet import xlsx_append, xlsx_workbook
from gridgov.geo.models import Division, Grid

from .models import Camera, DefenceTeam, PatrolUnit, Venue
from .services import MANAGE

MAX_ROWS = 20000


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy translation
    required: bool = True
    kind: str = "text"  # text | float | int | choice | grid | area | geojson | json
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    network: str
    title: Any
    model: type[models.Model]
    columns: tuple[Column, ...]
    scope_field: str  # the column holding the grid/area code used for scoping


SHEETS: dict[str, Sheet] = {s.network: s for s in (
    Sheet("patrol_units", _("Patrol units"), PatrolUnit, (
        Column("code", _("unit code")), Column("name", _("name")),
        Column("kind", _("kind"), kind="choice", choices=tuple(PatrolUnit.Kind.values)),
        Column("area_code", _("area code"), kind="area"),
        Column("shape", _("shape"), required=False, kind="choice", choices=tuple(PatrolUnit.Shape.values)),
        Column("geometry", _("route or area (GeoJSON)"), required=False, kind="geojson"),
        Column("headcount", _("headcount"), required=False, kind="int"),
    ), "area_code"),
    Sheet("defence_teams", _("Defence teams"), DefenceTeam, (
        Column("code", _("team code")), Column("name", _("name")),
        Column("kind", _("kind"), kind="choice", choices=tuple(DefenceTeam.Kind.values)),
        Column("grid_code", _("grid code"), kind="grid"),
        Column("leader_name", _("leader"), required=False),
    ), "grid_code"),
    Sheet("venues", _("Key venues"), Venue, (
        Column("code", _("venue code")), Column("name", _("name")),
        Column("type", _("type"), kind="choice", choices=tuple(Venue.Type.values)),
        Column("grid_code", _("grid code"), kind="grid"),
        Column("address", _("address"), required=False),
        Column("hazard", _("hazard level"), required=False, kind="choice", choices=("1", "2", "3")),
        Column("lon", _("longitude"), required=False, kind="float"),
        Column("lat", _("latitude"), required=False, kind="float"),
    ), "grid_code"),
    Sheet("cameras", _("Cameras"), Camera, (
        Column("code", _("camera code")), Column("name", _("name"), required=False),
        Column("grid_code", _("grid code"), kind="grid"),
        Column("lon", _("longitude"), kind="float"), Column("lat", _("latitude"), kind="float"),
        Column("radius_m", _("view radius (m)"), required=False, kind="float"),
        Column("heading", _("heading (°)"), required=False, kind="float"),
        Column("angle", _("view angle (°)"), required=False, kind="float"),
        Column("status", _("status"), required=False, kind="choice", choices=tuple(Camera.Status.values)),
    ), "grid_code"),
)}

_RANGES: dict[str, tuple[float, float]] = {"lon": (-180, 180), "lat": (-90, 90), "radius_m": (1, 500),
                                           "heading": (0, 360), "angle": (1, 360), "headcount": (1, 500)}


@dataclass
class ImportResult:
    network: str
    rows: int = 0
    written: int = 0
    dry_run: bool = False
    errors: list[ErrorDetail] = field(default_factory=list)


def sheet_for(network: str) -> Sheet:
    sheet = SHEETS.get(network)
    if sheet is None:
        raise NotFound("no such sheet", code="not_found")
    return sheet


def template_xlsx(actor: User, network: str) -> bytes:
    """The empty template of a sheet: the header row in the user's language, and a second sheet
    naming each column's key, whether it is required and the allowed values."""
    require_capability(actor, MANAGE)
    sheet = sheet_for(network)
    book = xlsx_workbook()
    ws = book.active
    ws.title = str(sheet.title)[:31]
    xlsx_append(ws, [str(c.label) for c in sheet.columns])
    notes = book.create_sheet(gettext("Columns"))
    xlsx_append(notes, [gettext("column"), gettext("key"), gettext("required"), gettext("allowed values")])
    for c in sheet.columns:
        xlsx_append(notes, [str(c.label), c.key, gettext("yes") if c.required else gettext("no"),
                            " / ".join(c.choices)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read(filename: str, data: bytes) -> list[dict]:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds
            raise FieldError("file", "cannot read the Excel file (%(why)s)",
                             params={"why": type(exc).__name__}) from None
        it = book.worksheets[0].iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            return []
        names = [str(h or "").strip() for h in header]
        return [dict(zip(names, values, strict=False)) for values in it if any(v not in (None, "") for v in values)]
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FieldError("file", "is not UTF-8 text; save the CSV as UTF-8") from None
        return list(csv.DictReader(io.StringIO(text)))
    raise FieldError("file", "expected a .csv or .xlsx file")


def _header_map(sheet: Sheet, header: list[str]) -> dict[str, str]:
    """Source header -> column key (by key or by the label in Chinese or English)."""
    from django.utils import translation

    out = {}
    for c in sheet.columns:
        names = {c.key}
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                names.add(str(c.label))
        for h in header:
            if h is not None and str(h).strip().lower() in {n.lower() for n in names}:
                out[str(h)] = c.key
    return out


def _convert(col: Column, raw: Any, rownum: int, report: ErrorReport) -> tuple[bool, Any]:
    text = "" if raw is None else str(raw).strip()
    if not text:
        if col.required:
            report.add(col.key, "is required", code="required", row=rownum)
            return False, None
        return True, None
    if col.kind in ("float", "int"):
        try:
            value: Any = float(text) if col.kind == "float" else int(float(text))
        except ValueError:
            report.add(col.key, "%(value)s is not a number", code="number", row=rownum, params={"value": repr(text)})
            return False, None
        lo, hi = _RANGES.get(col.key, (-1e12, 1e12))
        if not lo <= value <= hi:
            report.add(col.key, "%(value)s is outside %(low)s to %(high)s", code="range", row=rownum,
                       params={"value": text, "low": lo, "high": hi})
            return False, None
        return True, value
    if col.kind == "choice":
        if text not in col.choices:
            report.add(col.key, "%(value)s is not one of %(choices)s", code="choice", row=rownum,
                       params={"value": repr(text), "choices": ", ".join(col.choices)})
            return False, None
        return True, int(text) if col.key == "hazard" else text
    if col.kind == "geojson":
        try:
            geom = json.loads(text)
            if geom.get("type") not in ("LineString", "Polygon", "MultiLineString", "MultiPolygon"):
                raise ValueError
        except (ValueError, AttributeError):
            report.add(col.key, "is not a GeoJSON line or polygon", code="geojson", row=rownum)
            return False, None
        return True, text
    return True, text


def network_import(*, actor: User, network: str, rows: list[dict], dry_run: bool = False,
                   first_row: int = 2) -> ImportResult:
    """Validate every row; write all of them, or none when any row has a problem."""
    require_capability(actor, MANAGE)
    sheet = sheet_for(network)
    result = ImportResult(network=network, rows=len(rows), dry_run=dry_run)
    report = ErrorReport()
    if not rows:
        report.add("file", "has no data rows", code="empty")
        result.errors = report.details
        return result
    if len(rows) > MAX_ROWS:
        report.add("file", "has more than %(max)s rows", code="too_many", params={"max": MAX_ROWS})
        result.errors = report.details
        return result
    mapping = _header_map(sheet, list(rows[0].keys()))
    missing = [c for c in sheet.columns if c.required and c.key not in mapping.values()]
    for c in missing:
        report.add(c.key, "missing column", code="required", row=1)
    if missing:
        result.errors = report.details
        return result
    writable: Callable[[str], bool] = prefix_matcher(actor, MANAGE, purpose="write")
    codes_in = [str(r.get(h) or "").strip() for r in rows for h, k in mapping.items() if k == sheet.scope_field]
    known_grids = set(Grid.objects.filter(code__in=[c for c in codes_in if len(c) == 15]).values_list("code", flat=True))
    known_areas = set(Division.objects.filter(prefix__in=[c for c in codes_in if len(c) < 15])
                      .values_list("prefix", flat=True)) | known_grids
    existing = set(sheet.model._default_manager.filter(code__in=[str(r.get(h) or "").strip() for r in rows
                                                        for h, k in mapping.items() if k == "code"])
                   .values_list("code", flat=True))
    seen: dict[str, int] = {}
    objects = []
    for offset, raw in enumerate(rows):
        rownum = first_row + offset
        values: dict[str, Any] = {}
        ok = True
        for col in sheet.columns:
            header = next((h for h, k in mapping.items() if k == col.key), None)
            good, value = _convert(col, raw.get(header) if header else None, rownum, report)
            ok &= good
            if value is not None:
                values[col.key] = value
        code = values.get("code")
        if code:
            if code in existing:
                report.add("code", "%(code)s exists already", code="duplicate", row=rownum, params={"code": code})
                ok = False
            elif code in seen:
                report.add("code", "%(code)s repeats row %(row)s", code="duplicate", row=rownum,
                           params={"code": code, "row": seen[code]})
                ok = False
            else:
                seen[code] = rownum
        place = values.get(sheet.scope_field)
        if place:
            known = known_grids if sheet.scope_field == "grid_code" else known_areas
            if place not in known:
                report.add(sheet.scope_field, "%(code)s is not a known code", code="unknown", row=rownum,
                           params={"code": place})
                ok = False
            elif not writable(place):
                report.add(sheet.scope_field, "%(code)s is outside your jurisdiction", code="outside", row=rownum,
                           params={"code": place})
                ok = False
        if ok:
            objects.append(sheet.model(**values))
    if report:
        result.errors = report.details
        return result
    if not dry_run:
        with transaction.atomic():
            sheet.model._default_manager.bulk_create(objects, batch_size=1000)
            if sheet.model is Camera:
                from .services import cameras_bump_version

                cameras_bump_version()
            audit_write(AuditAction.IMPORT, actor=actor, object_type=f"prevention_{network}",
                        object_id=f"{len(objects)} rows", changes={"network": network, "rows": len(objects)})
        result.written = len(objects)
    return result


def network_import_file(*, actor: User, network: str, filename: str, data: bytes, dry_run: bool = False) -> ImportResult:
    try:
        rows = _read(filename, data)
    except FieldError as exc:
        return ImportResult(network=network, errors=exc.details)
    return network_import(actor=actor, network=network, rows=rows, dry_run=dry_run)
