"""A calendar for every year: provisional statutory holidays where no official schedule is known,
the import of an official schedule (all or nothing, deadlines of open cases recomputed), and the
`gridgov check` warning about a provisional next year.

Expected dates are written here from the published calendars: the State Council's 2026 schedule
(国办发明电〔2025〕7号) and, for 2027, the law (《全国年节及纪念日放假办法》, 2024 revision) with the
lunar dates of an almanac (除夕 5 Feb, 端午 9 Jun, 中秋 15 Sep 2027; 清明 5 Apr 2027)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov import cli
from gridgov.cases import checks, holidays, selectors, services, workcal
from gridgov.cases.models import CalendarDay, CalendarYear, Case, CaseEvent, CaseTask
from gridgov.core.errors import ValidationFailed
from gridgov.core.models import AuditEvent

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


PROVISIONAL_2027 = {
    "2027-01-01": "元旦",
    "2027-02-05": "春节", "2027-02-06": "春节", "2027-02-07": "春节", "2027-02-08": "春节",
    "2027-02-09": "春节（补假）", "2027-02-10": "春节（补假）",  # for Saturday 6 and Sunday 7 February
    "2027-04-05": "清明节",
    "2027-05-01": "劳动节", "2027-05-02": "劳动节", "2027-05-03": "劳动节（补假）", "2027-05-04": "劳动节（补假）",
    "2027-06-09": "端午节",
    "2027-09-15": "中秋节",
    "2027-10-01": "国庆节", "2027-10-02": "国庆节", "2027-10-03": "国庆节",
    "2027-10-04": "国庆节（补假）", "2027-10-05": "国庆节（补假）",
}


def test_2027_provisional_holidays_follow_the_law_and_the_lunar_calendar():
    got = {d.isoformat(): name for d, name in holidays.provisional_holidays(2027).items()}
    assert got == PROVISIONAL_2027
    assert len(holidays.statutory_days(2027)) == 13  # Article 2 as revised in 2024: 13 days


def test_overlapping_festivals_count_once():
    # 2028: 中秋 (15th of the 8th lunar month) is 3 October, inside 国庆
    days = holidays.statutory_days(2028)
    assert days[date(2028, 10, 3)] == "中秋节、国庆节" and "中秋节" not in days.values()
    assert len(days) == 12


def test_the_working_calendar_uses_the_provisional_year_beyond_the_package():
    cal = workcal.WorkCalendar()
    assert cal.is_provisional(2027) and not cal.is_provisional(2026)
    assert not cal.is_workday(date(2027, 1, 1))  # 元旦: a Friday, no longer a working day
    assert not cal.is_workday(date(2027, 2, 9)) and cal.is_workday(date(2027, 2, 11))
    assert cal.is_workday(date(2027, 1, 4)) and not cal.is_workday(date(2027, 1, 2))
    # a case registered on Thursday 31 December 2026 at 09:00 with 2 working days: 8 h that day, then
    # Monday 4 January (1-3 January: holiday and weekend) -> due 4 January 18:00
    assert cal.deadline(at(2026, 12, 31, 9, 0), "2d") == at(2027, 1, 4, 18, 0)


OFFICIAL_2026_HOLIDAYS_ON_WEEKDAYS = {
    "2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
    "2026-02-23", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05", "2026-06-19", "2026-09-25",
    "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"}
OFFICIAL_2026_WORKING_WEEKENDS = {"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}


def test_2026_still_matches_the_official_schedule_day_for_day():
    cal = workcal.WorkCalendar()
    day = date(2026, 1, 1)
    while day.year == 2026:
        iso = day.isoformat()
        expected = (day.weekday() < 5 and iso not in OFFICIAL_2026_HOLIDAYS_ON_WEEKDAYS) \
            or iso in OFFICIAL_2026_WORKING_WEEKENDS
        assert cal.is_workday(day) is expected, iso
        day += timedelta(days=1)


# ----------------------------------------------------------------------------- import

# a made-up schedule for 2027 (the real one is not published yet): 元旦 1-4 January, Saturday
# 9 January a working day
SCHEDULE = ["date,kind,name", "2027-01-01,holiday,元旦", "2027-01-04,放假,元旦", "2027-01-09,workday,元旦调休上班"]


@pytest.fixture
def running_case(make_case):
    """A case whose handling clock started on Thursday 31 December 2026 09:00 with 2 working days,
    with an open lead task due with the stage and an assisting task due after 1 working day."""
    from gridgov.cases.models import Department

    case = make_case("dispatched", lead="310101-cm")
    start = at(2026, 12, 31, 9, 0)
    Case.objects.filter(pk=case.pk).update(stage="handle", stage_started_at=start, stage_limit_seconds=16 * 3600,
                                           stage_deadline=at(2027, 1, 4, 18, 0))
    case.tasks.update(assigned_at=start, deadline=at(2027, 1, 4, 18, 0))
    CaseTask.objects.create(case=case, grid_code=case.grid_code, department=Department.objects.get(code="310101-gs"),
                            role=CaseTask.Role.ASSIST, assigned_at=start, limit="1d", deadline=at(2026, 12, 31, 18, 0))
    return case


def test_an_import_moves_a_running_deadline_and_says_so_in_the_timeline(actors, running_case):
    result = services.calendar_import(lines=SCHEDULE, source="2027.csv", actor=actors["centre"],
                                      now=at(2026, 12, 31, 10, 0))
    assert result["years"] == [2027] and result["days"] == 3 and result["cases_moved"] == [running_case.pk]
    case = Case.objects.get(pk=running_case.pk)
    # 8 h on 31 December, then 1-4 January off (4 January now a holiday too) -> Tuesday 5 January 18:00
    assert case.stage_deadline == at(2027, 1, 5, 18, 0)
    lead = case.tasks.get(role=CaseTask.Role.LEAD)
    assist = case.tasks.get(role=CaseTask.Role.ASSIST)
    assert lead.deadline == at(2027, 1, 5, 18, 0)
    assert assist.deadline == at(2026, 12, 31, 18, 0)  # within 2026: unchanged
    event = CaseEvent.objects.get(case=case, action="deadline_moved")
    assert event.data["deadlines"]["stage"] == ["2027-01-04T18:00:00+08:00", "2027-01-05T18:00:00+08:00"]
    assert "2027" in event.note
    assert CalendarYear.objects.get(year=2027).days == 3
    audit = AuditEvent.objects.filter(object_type="calendar").get()
    assert audit.action == "IMPORT" and audit.actor_id == actors["centre"].pk
    # the imported year replaces the provisional one: 9 February (a provisional make-up day) works,
    # Saturday 9 January works, 1 January still does not
    cal = selectors.work_calendar()
    assert not cal.is_provisional(2027)
    assert cal.is_workday(date(2027, 2, 9)) and cal.is_workday(date(2027, 1, 9))
    assert not cal.is_workday(date(2027, 1, 1))


def test_a_bad_file_is_refused_whole_with_every_problem(actors, running_case):
    bad = ["date,kind,name", "2027-01-01,holiday,元旦", "2027-13-01,holiday,x", "2027-01-04,rest,元旦",
           "2027-01-01,workday,again", "2027-1-9,workday," + "长" * 65]
    with pytest.raises(ValidationFailed) as info:
        services.calendar_import(lines=bad, actor=actors["centre"])
    problems = [(d.row, d.field) for d in info.value.details]
    assert problems == [(3, "date"), (4, "kind"), (5, "date"), (6, "date"), (6, "name")]
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()
    assert Case.objects.get(pk=running_case.pk).stage_deadline == at(2027, 1, 4, 18, 0)
    assert not CaseEvent.objects.filter(action="deadline_moved").exists()


@pytest.mark.parametrize("lines, field", [([], "file"), (["day,kind"], "header"), (["date,kind,name"], "file")])
def test_empty_or_headless_files_are_refused(lines, field):
    rows, problems = holidays.parse_schedule(lines)
    assert rows == [] and [p[1] for p in problems] == [field]


def test_the_command_imports_and_reports_rows(db, taxonomy, tmp_path, capsys):
    good = tmp_path / "2027.csv"
    good.write_text("\ufeff" + "\n".join(SCHEDULE) + "\n", encoding="utf-8")
    assert cli.main(["calendar", "import", str(good)]) == 0
    assert "已载入 2027 年的 3 天" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind,name\n2028-02-30,holiday,x\n", encoding="utf-8")
    assert cli.main(["calendar", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "第2行 date：'2028-02-30' 不是 YYYY-MM-DD 格式的日期" in err  # (the default language: zh-hans)
    assert not CalendarYear.objects.filter(year=2028).exists()
    assert cli.main(["calendar", "show", "--year", "2028"]) == 0
    out = capsys.readouterr().out
    assert "2028 年：暂定" in out and "2028-01-25 星期二 春节" in out  # (zh-hans, the default)


# ----------------------------------------------------------------------------- gridgov check

def test_check_warns_from_1_november_when_next_year_is_provisional(db):
    assert checks.calendar_warnings(date(2026, 10, 31)) == []
    assert [w.id for w in checks.calendar_warnings(date(2026, 11, 1))] == ["gridgov.W102"]
    assert [w.id for w in checks.calendar_warnings(date(2026, 12, 3))] == ["gridgov.W102"]
    # in 2027 itself the current year is provisional from 1 January
    assert [w.id for w in checks.calendar_warnings(date(2027, 1, 2))] == ["gridgov.W101"]
    services.calendar_import(lines=SCHEDULE)
    assert checks.calendar_warnings(date(2026, 12, 3)) == []
    assert [w.id for w in checks.calendar_warnings(date(2027, 11, 1))] == ["gridgov.W102"]  # 2028 next


# ----------------------------------------------------------------------------- pages

def test_the_admin_upload_loads_a_schedule_audited_and_refuses_a_bad_one(client, django_user_model, actors,
                                                                        running_case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    root = django_user_model.objects.create_superuser("root", password="x" * 12)
    client.force_login(root)
    page = client.get("/admin/cases/calendarday/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and 'href="/admin/cases/calendarday/import/"' in page.content.decode()
    bad = SimpleUploadedFile("bad.csv", "date,kind,name\n2027-02-30,holiday,元旦\n".encode())
    r = client.post("/admin/cases/calendarday/import/", {"file": bad}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200 and "2027-02-30" in r.content.decode()
    assert not CalendarYear.objects.exists()
    good = SimpleUploadedFile("2027.csv", ("\n".join(SCHEDULE) + "\n").encode("utf-8"))
    r = client.post("/admin/cases/calendarday/import/", {"file": good})
    assert r.status_code == 302 and r["Location"] == "/admin/cases/calendarday/"
    assert CalendarYear.objects.get(year=2027).loaded_by == root
    assert AuditEvent.objects.get(object_type="calendar").actor_id == root.pk
    assert Case.objects.get(pk=running_case.pk).stage_deadline == at(2027, 1, 5, 18, 0)


def test_the_events_home_says_when_a_year_is_provisional(client, actors, settings, monkeypatch):
    from gridgov.cases import views

    client.force_login(actors["centre"])
    monkeypatch.setattr(views.selectors, "provisional_years", lambda: [2027])
    body = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2027年工作日历为暂定" in body
    monkeypatch.setattr(views.selectors, "provisional_years", lambda: [])
    assert 'data-testid="calendar-provisional"' not in client.get("/cases/").content.decode()


def test_provisional_years_from_1_november(db):
    cal = workcal.WorkCalendar()
    assert selectors.provisional_years(date(2026, 10, 31), cal=cal) == []
    assert selectors.provisional_years(date(2026, 11, 1), cal=cal) == [2027]
    assert selectors.provisional_years(date(2027, 3, 1), cal=cal) == [2027]
    assert selectors.provisional_years(date(2027, 11, 1), cal=cal) == [2027, 2028]


def test_recompute_reads_the_open_tasks_of_all_cases_in_one_query(actors, make_case, running_case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # three more running cases, each with its open lead task
        other = make_case("dispatched", lead="310101-cm")
        Case.objects.filter(pk=other.pk).update(stage="handle", stage_started_at=at(2026, 12, 31, 9, 0),
                                                stage_limit_seconds=16 * 3600, stage_deadline=at(2027, 1, 4, 18, 0))
    with CaptureQueriesContext(connection) as queries:
        services.calendar_import(lines=SCHEDULE, source="2027.csv", actor=actors["centre"],
                                 now=at(2026, 12, 31, 10, 0))
    task_reads = [q["sql"] for q in queries.captured_queries
                  if q["sql"].lstrip().upper().startswith("SELECT") and "cases_casetask" in q["sql"]]
    assert len(task_reads) == 1, task_reads
    assert Case.objects.filter(stage_deadline=at(2027, 1, 5, 18, 0)).count() == 4


def test_the_calendar_check_reads_the_database_only_when_a_database_is_asked_for(db):
    from django.core.checks import run_checks
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as plain:  # migrate/runserver/other commands
        run_checks()
    with CaptureQueriesContext(connection) as asked:  # gridgov check (database "default" by default)
        run_checks(databases=["default"])
    assert not [q for q in plain.captured_queries if "cases_calendar" in q["sql"]]
    assert [q for q in asked.captured_queries if "cases_calendar" in q["sql"]]
