"""The safety demo loader: history, both origins, planted outbreaks raise warnings, the guard."""

from datetime import timedelta

from gridgov.safety.models import Alert, Hotspot, Incident


def test_demo_has_three_years_both_origins_and_warnings(demo):
    first = Incident.objects.order_by("week_start").values_list("week_start", flat=True).first()
    last = Incident.objects.order_by("-week_start").values_list("week_start", flat=True).first()
    assert last - first >= timedelta(weeks=3 * 52)
    assert Incident.objects.filter(origin="discovered").exists()
    assert Incident.objects.filter(origin="reported").count() > 5 * Incident.objects.filter(origin="discovered").count()
    red = Alert.objects.filter(level__gte=3, week_start=last)
    assert red.filter(category__code="02").exists()  # the planted burglary outbreak
    print(Alert.objects.count(), Hotspot.objects.count(), Incident.objects.count())


def _per_row(first_week, weeks, minutes, tz):
    """The demo's former per-incident conversion: an aware local datetime through the backend."""
    from datetime import datetime

    from django.db import connection

    start = datetime.combine(first_week, datetime.min.time())
    return [connection.ops.adapt_datetimefield_value((start + timedelta(weeks=w, minutes=m)).replace(tzinfo=tz))
            for w, m in zip(weeks.tolist(), minutes.tolist(), strict=True)]


def _instants(values: list) -> list:
    """Stored values as comparable instants: SQLite's text as it is; PostgreSQL's aware datetimes in
    UTC (a local time in a gap or a repeated hour never equals a time of another zone: PEP 495)."""
    from datetime import UTC, datetime

    return [v.astimezone(UTC) if isinstance(v, datetime) else v for v in values]


def test_incident_times_in_bulk_equal_the_per_row_conversion(db):
    """The vectorised occurred_at values equal Django's adapter applied to each aware datetime, in
    Shanghai (no change of offset) and in zones with daylight saving (Berlin) and a 30-minute
    change (Lord Howe), including the hours around each change."""
    from datetime import date
    from zoneinfo import ZoneInfo

    import numpy as np

    from gridgov.demo.safety import datetime_values, occurred_utc

    rng = np.random.default_rng(5)
    first_week = date(2024, 1, 1)
    weeks = rng.integers(0, 164, 5000)
    minutes = rng.integers(0, 7 * 24 * 60, 5000)
    # every minute of the weeks holding the 2025 changes of offset (Berlin: 30 March, 26 October;
    # Lord Howe: 6 April, 5 October)
    for change in (date(2025, 3, 30), date(2025, 10, 26), date(2025, 4, 6), date(2025, 10, 5)):
        w = (change - first_week).days // 7
        weeks = np.r_[weeks, np.full(7 * 24 * 60, w)]
        minutes = np.r_[minutes, np.arange(7 * 24 * 60)]
    for name in ("Asia/Shanghai", "Europe/Berlin", "Australia/Lord_Howe"):
        tz = ZoneInfo(name)
        got = _instants(datetime_values(occurred_utc(first_week, weeks, minutes, tz)))
        want = _instants(_per_row(first_week, weeks, minutes, tz))
        bad = [i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b]
        assert not bad, (name, len(bad), got[bad[0]], want[bad[0]])
    # one value written out: Monday 2024-01-01 00:00 in Shanghai is 2023-12-31 16:00 UTC
    one = datetime_values(occurred_utc(first_week, np.array([0]), np.array([0]), ZoneInfo("Asia/Shanghai")))
    assert str(one[0]).startswith("2023-12-31 16:00:00")
