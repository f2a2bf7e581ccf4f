"""Every write of the public-safety app: incidents (one, API, CSV/Excel import), the detection run
that raises graded warnings, hotspots, the warnings workflow and the feedback-loop guard setting."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from gridgov.accounts.models import User
from gridgov.accounts.scope import code_in_scope, prefix_matcher, require_capability
from gridgov.core.audit import audit_write
from gridgov.core.errors import Conflict, ErrorDetail, ErrorReport, FieldError, NotFound, ValidationFailed
from gridgov.core.models import AuditAction, SystemState
from gridgov.core.versioning import update_versioned
from gridgov.geo.selectors import locate_codes
from gridgov.safety import detect
from gridgov.safety.models import STANDARD_CATEGORIES, Alert, AlertStatus, Category, Hotspot, Incident, Origin

MANAGE = "safety.manage"
ADMIN = "accounts.manage"
CONFIG_KEY = "safety:config"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
AREA_LEVELS = (6, 9, 12, 15)  # district, street, community, grid
HISTORY_WEEKS = 5 * 52 + 4  # what a detection run reads (Farrington uses up to 5 years)
MAX_IMPORT_ROWS = 100_000
Progress = Callable[[str, int, int], None]

ORIGIN_ALIASES = {
    "reported": Origin.REPORTED, "report": Origin.REPORTED, "报案": Origin.REPORTED, "群众报案": Origin.REPORTED,
    "报警": Origin.REPORTED, "discovered": Origin.DISCOVERED, "police": Origin.DISCOVERED,
    "发现": Origin.DISCOVERED, "民警发现": Origin.DISCOVERED, "主动发现": Origin.DISCOVERED,
}


def week_of(moment: datetime | date) -> date:
    """Monday of the local week containing ``moment``."""
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            moment = moment.astimezone(LOCAL_TZ)
        moment = moment.date()
    return moment - timedelta(days=moment.weekday())


# ------------------------------------------------------------------------------ configuration

DEFAULT_CONFIG = {"include_discovered": False}


def safety_config() -> dict:
    """The current settings: ``include_discovered`` (feedback-loop guard off when True) and the
    level cut-offs per method (calibrated defaults unless overridden)."""
    state = SystemState.objects.filter(key=CONFIG_KEY).values_list("value", flat=True).first() or {}
    config = {**DEFAULT_CONFIG, **state}
    config["cutoffs"] = {m: detect.Cutoffs.from_dict(state["cutoffs"][m])
                         if m in state.get("cutoffs", {}) else detect.CALIBRATED[m] for m in detect.METHODS}
    return config


@transaction.atomic
def safety_config_set(*, actor: User, include_discovered: bool, reason: str) -> dict:
    """Switch the feedback-loop guard. Administrators only (``accounts.manage``); a reason is
    required and the change is audited."""
    require_capability(actor, ADMIN)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise FieldError("reason", "say why the guard changes (at least 4 characters)", code="required")
    state, _ = SystemState.objects.get_or_create(key=CONFIG_KEY, defaults={"value": dict(DEFAULT_CONFIG)})
    before = bool(state.value.get("include_discovered", False))
    state.value = {**state.value, "include_discovered": bool(include_discovered)}
    state.save(update_fields=["value", "updated_at"])
    audit_write(AuditAction.UPDATE, actor=actor, object_type="safety_config", object_id=CONFIG_KEY, reason=reason,
                changes={"include_discovered": [before, bool(include_discovered)]})
    return safety_config()


# ------------------------------------------------------------------------------ categories

@transaction.atomic
def categories_sync() -> list[Category]:
    """Ensure the GB/T 31000 治安突出问题 codes exist (idempotent)."""
    existing = set(Category.objects.values_list("code", flat=True))
    Category.objects.bulk_create([Category(code=c, name=n, name_en=e, standard=True)
                                  for c, n, e in STANDARD_CATEGORIES if c not in existing])
    return list(Category.objects.all())


# ------------------------------------------------------------------------------ incidents

@dataclass
class IncidentRow:
    category: str
    occurred_at: datetime
    lon: float
    lat: float
    origin: str
    summary: str = ""
    ref: str = ""


@dataclass
class ImportReport:
    created: int = 0
    dry_run: bool = False
    rows: int = 0
    errors: list[ErrorDetail] = field(default_factory=list)
    objects: list = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {"created": self.created, "rows": self.rows, "dry_run": self.dry_run,
                "errors": [e.as_dict() for e in self.errors]}


def _parse_datetime(value) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0, 0))
    else:
        text = str(value or "").strip().replace("/", "-")
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment


def _parse_float(value) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _validate_rows(raw_rows: Sequence[dict], categories: dict[str, Category], report: ErrorReport,
                   first_row: int) -> list[tuple[int, IncidentRow]]:
    good: list[tuple[int, IncidentRow]] = []
    refs: dict[str, int] = {}
    for offset, raw in enumerate(raw_rows):
        rownum = first_row + offset
        row = {str(k).strip().lower(): v for k, v in raw.items() if k is not None}
        ok = True
        code = str(row.get("category") or "").strip()
        if code.isdigit() and len(code) == 1:
            code = "0" + code
        if code not in categories:
            if code:
                report.add("category", "%(code)s is not an active category code", code="choice", row=rownum,
                           params={"code": repr(code)})
            else:
                report.add("category", "is required", code="required", row=rownum)
            ok = False
        occurred = _parse_datetime(row.get("occurred_at"))
        if occurred is None:
            report.add("occurred_at", "%(value)s is not a date-time (YYYY-MM-DD HH:MM)",
                       code="date", row=rownum, params={"value": repr(row.get("occurred_at"))})
            ok = False
        elif occurred > timezone.now() + timedelta(hours=1):
            report.add("occurred_at", "is in the future", code="future", row=rownum)
            ok = False
        lon, lat = _parse_float(row.get("lon")), _parse_float(row.get("lat"))
        if lon is None or not -180 <= lon <= 180:
            report.add("lon", "%(value)s is not a longitude (-180..180)", code="number", row=rownum,
                       params={"value": repr(row.get("lon"))})
            ok = False
        if lat is None or not -90 <= lat <= 90:
            report.add("lat", "%(value)s is not a latitude (-90..90)", code="number", row=rownum,
                       params={"value": repr(row.get("lat"))})
            ok = False
        origin_raw = str(row.get("origin") or "").strip()
        origin = ORIGIN_ALIASES.get(origin_raw.lower())
        if origin is None:
            report.add("origin", "%(value)s: expected reported (报案) or discovered (发现)",
                       code="choice", row=rownum, params={"value": repr(origin_raw)})
            ok = False
        ref = str(row.get("ref") or "").strip()[:64]
        if ref:
            if ref in refs:
                report.add("ref", "duplicate reference %(ref)s (also row %(row)s)", code="duplicate", row=rownum,
                           params={"ref": repr(ref), "row": refs[ref]})
                ok = False
            refs[ref] = rownum
        if ok and occurred is not None and lon is not None and lat is not None and origin is not None:
            good.append((rownum, IncidentRow(category=code, occurred_at=occurred, lon=lon, lat=lat,
                                             origin=origin, summary=str(row.get("summary") or "").strip()[:200],
                                             ref=ref)))
    if refs:
        taken = set(Incident.objects.filter(ref__in=list(refs)).values_list("ref", flat=True))
        for ref in sorted(taken):
            report.add("ref", "reference %(ref)s is already recorded", code="duplicate", row=refs[ref],
                       params={"ref": repr(ref)})
        good = [(n, r) for n, r in good if r.ref not in taken]
    return good


@transaction.atomic
def incidents_import(*, actor: User, rows: Sequence[dict], dry_run: bool = False, first_row: int = 2,
                     source: str = "api") -> ImportReport:
    """Validate every row (category, occurred_at, lon/lat inside a grid of the actor's capture
    jurisdiction, origin, unique ref); any problem -> ``ValidationFailed`` listing them all and
    nothing is written. ``first_row``: the number of the first data row (2 for a file with a header)."""
    require_capability(actor, MANAGE)
    if len(rows) > MAX_IMPORT_ROWS:
        raise FieldError("file", "at most %(n)s rows per import", params={"n": f"{MAX_IMPORT_ROWS:,}"})
    categories = {c.code: c for c in categories_sync() if c.active}
    report = ErrorReport()
    good = _validate_rows(rows, categories, report, first_row)
    codes = locate_codes([r.lon for _, r in good], [r.lat for _, r in good]) if good else []
    in_scope = prefix_matcher(actor, MANAGE, purpose="write")
    objects = []
    for (rownum, row), code in zip(good, codes, strict=True):
        if code is None:
            report.add("lon", "the point is outside every grid", code="outside", row=rownum)
            continue
        if not in_scope(code):
            report.add("lon", "the point is in grid %(grid)s, outside your jurisdiction", code="jurisdiction",
                       row=rownum, params={"grid": code})
            continue
        objects.append(Incident(ref=row.ref, category=categories[row.category], occurred_at=row.occurred_at,
                                week_start=week_of(row.occurred_at), lon=row.lon, lat=row.lat, grid_code=code,
                                origin=row.origin, summary=row.summary, created_by=actor))
    if report:
        report.details.sort(key=lambda d: (d.row or 0, d.field))
        raise ValidationFailed("%(bad)s of %(rows)s rows rejected; nothing written", details=report.details,
                               params={"bad": len({d.row for d in report.details}), "rows": len(rows)})
    result = ImportReport(rows=len(rows), dry_run=dry_run)
    if not dry_run:
        Incident.objects.bulk_create(objects, batch_size=2000)
        result.created = len(objects)
        result.objects = objects
        audit_write(AuditAction.IMPORT, actor=actor, object_type="incident", object_id=f"{len(objects)} rows",
                    changes={"source": source, "rows": len(objects)})
    return result


def incidents_import_file(*, actor: User, filename: str, data: bytes, dry_run: bool = False) -> ImportReport:
    """CSV (UTF-8) or Excel (.xlsx, first sheet) with a header row: category, occurred_at, lon, lat,
    origin[, summary, ref]."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        rows = _read_xlsx(data)
    elif name.endswith(".csv") or not name:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FieldError("file", "is not UTF-8 text; save the CSV as UTF-8") from None
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        raise FieldError("file", "expected a .csv or .xlsx file")
    if not rows:
        raise FieldError("file", "has no data rows")
    missing = [c for c in ("category", "occurred_at", "lon", "lat", "origin")
               if c not in {str(k).strip().lower() for k in rows[0] if k is not None}]
    if missing:
        raise ValidationFailed("missing columns", details=[ErrorDetail(c, "missing column", "required", 1)
                                                           for c in missing])
    return incidents_import(actor=actor, rows=rows, dry_run=dry_run, source=name.rsplit(".", 1)[-1] or "csv")


def _read_xlsx(data: bytes) -> list[dict]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds
        raise FieldError("file", "cannot read the Excel file (%(why)s)", params={"why": type(exc).__name__}) from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    header = next(it, None)
    if header is None:
        return []
    names = [str(h or "").strip() for h in header]
    return [dict(zip(names, values, strict=False)) for values in it if any(v not in (None, "") for v in values)]


def incident_create(*, actor: User, category: str, occurred_at: datetime, lon: float, lat: float, origin: str,
                    summary: str = "", ref: str = "") -> Incident:
    try:
        report = incidents_import(actor=actor, rows=[{"category": category, "occurred_at": occurred_at, "lon": lon,
                                                      "lat": lat, "origin": origin, "summary": summary, "ref": ref}],
                                  source="single")
    except ValidationFailed as exc:
        raise ValidationFailed("incident rejected", details=[ErrorDetail(d.field, d.message, d.code, template=d.template,
                                                                         params=d.params)
                                                             for d in exc.details]) from None
    return report.objects[0]


# ------------------------------------------------------------------------------ counts

def code_prefix(prefix: str, field: str = "grid_code") -> dict:
    """``field`` starts with the digit prefix ``prefix``, as a range: ``>= prefix`` and ``<`` the
    next number of the same length (``310101009`` -> ``310101010``), which holds exactly the codes
    that start with it. The same rows as ``__startswith``, but SQLite's ``LIKE … ESCAPE`` does not
    use an index on a BINARY column: it scanned every incident once per street (3 scans per street
    of a detection run); the range uses ``incident_grid_cat_week``. Digits only, so any collation
    orders them the same; other prefixes keep ``__startswith``."""
    if not prefix:
        return {}
    if not (prefix.isascii() and prefix.isdigit()):
        return {f"{field}__startswith": prefix}
    upper = str(int(prefix) + 1).zfill(len(prefix))
    if len(upper) > len(prefix):  # all nines: nothing above
        return {f"{field}__gte": prefix}
    return {f"{field}__gte": prefix, f"{field}__lt": upper}


@dataclass
class SeriesCounts:
    """Weekly counts: one row per (area, category) series, one column per week."""

    areas: np.ndarray  # area code per series
    categories: np.ndarray  # category code per series
    weeks: list[date]
    counts: np.ndarray
    discovered: np.ndarray  # same shape: discovered incidents (not in counts unless included)


def weekly_counts(incidents, *, area_len: int, first_week: date, last_week: date,
                  include_discovered: bool = False, period: str = "week") -> SeriesCounts:
    """Counts per (area prefix of ``area_len`` digits, category, week or day) aggregated in the
    database, arranged with NumPy. Every series with at least one incident in the period gets a
    row; periods without incidents are 0. ``period="day"``: local calendar days from first_week to
    last_week inclusive (``weeks`` then lists days)."""
    if period == "day":
        step = 1
        n_weeks = (last_week - first_week).days + 1
        qs = incidents.filter(occurred_at__gte=datetime.combine(first_week, time(0), LOCAL_TZ),
                              occurred_at__lt=datetime.combine(last_week + timedelta(days=1), time(0), LOCAL_TZ))
        bucket: TruncDate | F = TruncDate("occurred_at", tzinfo=LOCAL_TZ)
    elif period == "week":
        step = 7
        n_weeks = (last_week - first_week).days // 7 + 1
        qs = incidents.filter(week_start__gte=first_week, week_start__lte=last_week)
        bucket = F("week_start")
    else:
        raise FieldError("period", "expected week or day", code="choice")
    # order_by(): a caller's ordering (the selectors order by time and id) would join the GROUP BY
    rows = list(qs.order_by().annotate(area=Substr("grid_code", 1, area_len), bucket=bucket)
                .values_list("area", "category__code", "bucket", "origin").annotate(n=Count("id")))
    weeks = [first_week + timedelta(days=step * i) for i in range(n_weeks)]
    if not rows:
        empty = np.zeros((0, n_weeks))
        return SeriesCounts(np.array([], dtype=object), np.array([], dtype=object), weeks, empty, empty.copy())
    area = np.array([r[0] for r in rows], dtype=object)
    cat = np.array([r[1] for r in rows], dtype=object)
    week_idx = np.fromiter(((r[2] - first_week).days // step for r in rows), dtype=np.int64, count=len(rows))
    discovered = np.fromiter((r[3] == Origin.DISCOVERED for r in rows), dtype=bool, count=len(rows))
    n = np.fromiter((r[4] for r in rows), dtype=float, count=len(rows))
    keys = np.char.add(np.char.add(area.astype(str), "|"), cat.astype(str))
    uniq, inverse = np.unique(keys, return_inverse=True)
    counted = np.zeros((len(uniq), n_weeks))
    disc = np.zeros((len(uniq), n_weeks))
    use = ~discovered | include_discovered
    np.add.at(counted, (inverse[use], week_idx[use]), n[use])
    np.add.at(disc, (inverse[discovered], week_idx[discovered]), n[discovered])
    split = np.char.partition(uniq, "|")
    return SeriesCounts(split[:, 0].astype(object), split[:, 2].astype(object), weeks, counted, disc)


def rollup(sc: SeriesCounts, area_len: int) -> SeriesCounts:
    """The series of ``sc`` summed to areas of ``area_len`` digits (a prefix of ``sc``'s areas):
    what :func:`weekly_counts` gives for the same incidents at that level, from one read of the
    finer level instead of another pass over the incidents. Same order (area, then category)."""
    if not len(sc.areas):
        return sc
    areas = np.array([a[:area_len] for a in sc.areas.tolist()], dtype=object)
    keys = np.char.add(np.char.add(areas.astype(str), "|"), sc.categories.astype(str))
    uniq, inverse = np.unique(keys, return_inverse=True)
    counted = np.zeros((len(uniq), sc.counts.shape[1]))
    disc = np.zeros_like(counted)
    np.add.at(counted, inverse, sc.counts)
    np.add.at(disc, inverse, sc.discovered)
    split = np.char.partition(uniq, "|")
    return SeriesCounts(split[:, 0].astype(object), split[:, 2].astype(object), sc.weeks, counted, disc)


# ------------------------------------------------------------------------------ detection run

@dataclass
class RunReport:
    weeks: list[date]
    series: int = 0
    evaluated: int = 0
    warnings: dict[str, int] = field(default_factory=dict)


def data_start() -> date | None:
    """The first week with any incident: where every series begins (weeks without incidents
    after it count as 0)."""
    return Incident.objects.order_by("week_start").values_list("week_start", flat=True).first()


def _latest_complete_week(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return week_of(today) - timedelta(weeks=1)


@transaction.atomic
def warnings_refresh(*, weeks: Sequence[date] | None = None, levels: Sequence[int] = AREA_LEVELS,
                     actor: User | None = None, progress: Progress | None = None) -> RunReport:
    """Run detection for the given weeks (default: the last complete week) on every area level and
    category, and raise/update warnings (level >= blue). By default only citizen/victim-reported
    incidents count (feedback-loop guard, docs/safety.md); discovered ones are shown alongside.
    Warnings already acknowledged, in response or closed keep their state and numbers."""
    if actor is not None:
        require_capability(actor, MANAGE)
    weeks = sorted(set(weeks or [_latest_complete_week()]))
    config = safety_config()
    categories = {c.code: c for c in Category.objects.all()}
    report = RunReport(weeks=list(weeks))
    first = weeks[0] - timedelta(weeks=HISTORY_WEEKS)
    earliest = data_start()
    if earliest is None:
        return report
    first = max(first, earliest)
    for step, area_len in enumerate(levels):
        sc = weekly_counts(Incident.objects.all(), area_len=area_len, first_week=first, last_week=weeks[-1],
                           include_discovered=config["include_discovered"])
        if progress:
            progress("safety: detection", step, len(levels))
        if not len(sc.areas):
            continue
        cols = [(w - first).days // 7 for w in weeks]
        result, which, levels_ = _detect_latest(sc.counts, cols, config["cutoffs"])
        report.series += len(sc.areas)
        report.evaluated += int((levels_ >= 0).sum())
        _store_alerts(sc, cols, result, which, levels_, area_len, categories, report)
    if progress:
        progress("safety: detection", len(levels), len(levels))
    audit_write(AuditAction.CREATE, actor=actor, object_type="safety_run",
                object_id=",".join(w.isoformat() for w in weeks)[:64],
                changes={"weeks": [w.isoformat() for w in weeks], "warnings": report.warnings,
                         "include_discovered": config["include_discovered"]})
    return report


def _detect_latest(counts: np.ndarray, cols: list[int], cutoffs: dict) -> tuple[dict, np.ndarray, np.ndarray]:
    """Auto method (Farrington >= 3 years, else EWMA, else C1) for the columns ``cols`` only."""
    S = len(counts)
    out = {k: np.full((S, len(cols)), np.nan) for k in ("expected", "threshold", "pvalue", "score")}
    suppressed = np.zeros((S, len(cols)), dtype=bool)
    which = np.full((S, len(cols)), -1, dtype=np.int8)
    level = np.full((S, len(cols)), detect.NO_BASELINE, dtype=np.int8)
    far = detect.farrington(counts, periods=cols)
    tail = counts[:, max(0, min(cols) - 40):]
    shift = max(0, min(cols) - 40)
    parts = [("farrington", far, list(far.periods)),
             ("ewma", detect.ewma(tail), None), ("c1", detect.ears(tail, method="C1", alpha=0.01), None)]
    for i, (name, part, periods) in reversed(list(enumerate(parts))):
        for j, col in enumerate(cols):
            if periods is not None:
                if col not in periods:
                    continue
                pj = periods.index(col)
            else:
                pj = col - shift
            m = part.evaluated[:, pj]
            which[m, j] = i
            for key in out:
                out[key][m, j] = getattr(part, key)[m, pj]
            suppressed[m, j] = part.suppressed[m, pj]
            graded = detect.grade(part.pvalue[:, pj], part.expected[:, pj], cutoffs[name], part.suppressed[:, pj])
            level[m, j] = graded[m]
    out["suppressed"] = suppressed
    return out, which, level


METHOD_NAMES = ("farrington", "ewma", "c1")


def _store_alerts(sc: SeriesCounts, cols, result, which, levels_, area_len, categories, report) -> None:
    s_idx, j_idx = np.nonzero(levels_ >= 1)
    if not len(s_idx):
        return
    weeks = [sc.weeks[c] for c in cols]
    existing = {(a.area_code, a.category.code, a.week_start): a
                for a in Alert.objects.filter(area_code__in=set(sc.areas[s_idx].tolist()),
                                              week_start__in=weeks).select_related("category")}
    new, changed = [], []
    now = timezone.now()
    for s, j in zip(s_idx.tolist(), j_idx.tolist(), strict=True):
        area, cat, week = str(sc.areas[s]), str(sc.categories[s]), weeks[j]
        values = {
            "area_level": area_len, "method": METHOD_NAMES[which[s, j]],
            "observed": int(sc.counts[s, cols[j]]), "expected": float(result["expected"][s, j]),
            "threshold": float(result["threshold"][s, j]), "pvalue": float(result["pvalue"][s, j]),
            "score": float(np.nan_to_num(result["score"][s, j], posinf=99.0)), "level": int(levels_[s, j]),
            "discovered": int(sc.discovered[s, cols[j]]),
        }
        name = detect.LEVELS[int(levels_[s, j])]
        report.warnings[name] = report.warnings.get(name, 0) + 1
        alert = existing.get((area, cat, week))
        if alert is None:
            new.append(Alert(area_code=area, category=categories[cat], week_start=week, created_at=now,
                             updated_at=now, **values))
        elif alert.status == AlertStatus.OPEN:
            for k, v in values.items():
                setattr(alert, k, v)
            alert.updated_at = now
            alert.version += 1
            changed.append(alert)
    Alert.objects.bulk_create(new, batch_size=2000)
    if changed:
        Alert.objects.bulk_update(changed, [*values.keys(), "updated_at", "version"], batch_size=2000)


# ------------------------------------------------------------------------------ hotspots

def _window_baseline(counts: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected counts over the last ``window`` weeks of each series: expected is the
    Farrington/Noufaily baseline of each week where the series has 3 years of history, else the
    mean weekly count of the year before the window."""
    T = counts.shape[1]
    cols = list(range(max(0, T - window), T))
    far = detect.farrington(counts, periods=cols)
    history = counts[:, max(0, T - window - 52):T - window]
    fallback = (history.mean(axis=1) if history.shape[1] else np.zeros(len(counts)))[:, None]
    per_week = np.full((len(counts), len(cols)), np.nan)
    if len(far.periods):
        per_week[:, [cols.index(int(k)) for k in far.periods]] = far.expected
    baseline = np.where(np.isnan(per_week), fallback, per_week).sum(axis=1)
    return counts[:, cols].sum(axis=1), baseline


@transaction.atomic
def hotspots_refresh(*, week: date | None = None, window: int = 4, actor: User | None = None) -> int:
    """Gi* hotspots over the ``window`` weeks ending at ``week`` for every category, on grids,
    observed vs the baseline's expected counts; stores the flagged grids. Returns how many."""
    from gridgov.geo.models import Grid, boundary_wkb
    from gridgov.safety import hotspots as hs

    if actor is not None:
        require_capability(actor, MANAGE)
    week = week or _latest_complete_week()
    config = safety_config()
    grid_rows = list(Grid.objects.filter(boundary__isnull=False).order_by("code").values_list("code", "boundary"))
    if len(grid_rows) < 3:
        return 0
    import shapely

    codes = np.array([r[0] for r in grid_rows], dtype=object)
    geoms = shapely.from_wkb([boundary_wkb(r[1]) for r in grid_rows])
    first = max(week - timedelta(weeks=window - 1 + HISTORY_WEEKS), data_start() or week)
    Hotspot.objects.filter(week_start=week).delete()
    in_window = Incident.objects.filter(week_start__gte=first, week_start__lte=week).order_by()
    cats = sorted(set(in_window.values_list("category__code", flat=True).distinct()))
    if not cats:
        return 0
    grid_index = {c: i for i, c in enumerate(codes.tolist())}
    cat_index = {c: i for i, c in enumerate(cats)}
    observed = np.zeros((len(codes), len(cats)))
    expected = np.zeros((len(codes), len(cats)))
    # the grids' series are read one street at a time (a series depends on its own counts only), so
    # memory follows the largest street, not the city
    streets = (in_window.annotate(street=Substr("grid_code", 1, 9)).values_list("street", flat=True)
               .distinct().order_by("street"))
    for street in streets:
        sc = weekly_counts(Incident.objects.filter(**code_prefix(street)), area_len=15, first_week=first,
                           last_week=week, include_discovered=config["include_discovered"])
        if not len(sc.areas):
            continue
        recent, baseline = _window_baseline(sc.counts, window)
        rows = np.array([grid_index.get(a, -1) for a in sc.areas.tolist()])
        colsi = np.array([cat_index[c] for c in sc.categories.tolist()])
        ok = rows >= 0
        observed[rows[ok], colsi[ok]] = recent[ok]
        expected[rows[ok], colsi[ok]] = baseline[ok]
    result = hs.hotspots(observed, expected, hs.adjacency(geoms))
    flagged_r, flagged_c = np.nonzero(result.kind != 0)
    categories = {c.code: c for c in Category.objects.filter(code__in=cats)}
    names = result.kind_names()
    Hotspot.objects.bulk_create([
        Hotspot(grid_code=codes[r], category=categories[cats[c]], week_start=week, weeks=window,
                observed=int(observed[r, c]), expected=float(expected[r, c]), z=float(result.z[r, c]),
                pvalue=float(result.pvalue[r, c]), qvalue=float(result.qvalue[r, c]), kind=names[r, c])
        for r, c in zip(flagged_r.tolist(), flagged_c.tolist(), strict=True)])
    audit_write(AuditAction.CREATE, actor=actor, object_type="safety_hotspots", object_id=week.isoformat(),
                changes={"flagged": len(flagged_r), "window": window})
    return len(flagged_r)


# ------------------------------------------------------------------------------ warnings workflow

#: action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({AlertStatus.OPEN}), AlertStatus.ACKNOWLEDGED),
    "assign": (frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.RESPONDING}), AlertStatus.RESPONDING),
    "close": (frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.RESPONDING}), AlertStatus.CLOSED),
}


@transaction.atomic
def alert_transition(*, actor: User, alert_id: int, action: str, version: int, responder: str = "",
                     note: str = "") -> Alert:
    """Acknowledge, assign a response (``responder`` required) or close (``note`` required) a
    warning in the actor's capture jurisdiction. A stale ``version`` -> Conflict (409)."""
    require_capability(actor, MANAGE)
    if action not in TRANSITIONS:
        raise FieldError("action", "expected one of %(values)s", code="choice", params={"values": ", ".join(TRANSITIONS)})
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None or not code_in_scope(actor, alert.area_code, capability=MANAGE, purpose="write"):
        raise NotFound("warning not found")
    sources, target = TRANSITIONS[action]
    if alert.status not in sources:
        raise Conflict("cannot “%(action)s” a warning that is “%(status)s”", code="invalid_transition",
                       params={"action": pgettext_lazy("warning action", action),
                               "status": pgettext_lazy("warning status", alert.status)})
    responder = (responder or "").strip()
    note = (note or "").strip()
    if action == "assign" and not responder:
        raise FieldError("responder", "name the unit that responds", code="required")
    if action == "close" and not note:
        raise FieldError("note", "say how the warning was resolved", code="required")
    updates: dict[str, Any] = {"status": target}
    if responder:
        updates["responder"] = responder[:100]
    if note:
        updates["note"] = (alert.note + "\n" + note).strip() if alert.note else note
    update_versioned(Alert, alert.pk, version, message="the warning was changed by someone else; reload and try again",
                     **updates)
    audit_write(AuditAction.TRANSITION, actor=actor, object_type="safety_alert", object_id=alert.pk,
                jurisdiction=alert.area_code, reason=note,
                changes={"action": action, "status": [alert.status, str(target)], "responder": responder})
    alert.refresh_from_db()
    return alert


def scan_run(*, weeks: int = 1, progress=None) -> dict:
    """The scheduled detection run (`gridgov safety-scan`, `gridgov worker`): warnings for the last
    ``weeks`` complete weeks and hotspots for the last one."""
    last = _latest_complete_week()
    report = warnings_refresh(weeks=[last - timedelta(weeks=i) for i in range(weeks)], progress=progress)
    hot = hotspots_refresh(week=last)
    return {"week": last.isoformat(), "series": report.series, "evaluated": report.evaluated,
            "warnings": report.warnings or {}, "hotspots": hot}
