"""Working-day deadlines on the Chinese calendar, colours at 79/80/100 %, overrides, escalation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases import selectors, services, workcal
from gridgov.cases.models import Case, CaseEvent

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def cal():
    return workcal.WorkCalendar()


def test_guoqing_2025_holiday_block_is_skipped(cal):
    # Tue 30 Sep 16:00 + 2 working days (16 h): 2 h on the 30th, 1-8 Oct are holidays,
    # Thu 9 Oct 8 h, Fri 10 Oct 6 h -> Fri 10 Oct 16:00
    assert cal.deadline(at(2025, 9, 30, 16, 0), "2d") == at(2025, 10, 10, 16, 0)
    assert not any(cal.is_workday(date(2025, 10, d)) for d in range(1, 9))


def test_make_up_saturday_and_sunday_are_working_days(cal):
    assert cal.is_workday(date(2025, 10, 11)) and date(2025, 10, 11).weekday() == 5  # 调休 Saturday
    assert cal.deadline(at(2025, 10, 10, 16, 0), "1d") == at(2025, 10, 11, 16, 0)
    assert cal.is_workday(date(2025, 9, 28)) and date(2025, 9, 28).weekday() == 6  # 调休 Sunday
    assert cal.deadline(at(2025, 9, 26, 17, 0), "4h") == at(2025, 9, 28, 12, 0)


def test_ordinary_weekend_is_skipped(cal):
    assert cal.deadline(at(2025, 10, 17, 16, 0), "1d") == at(2025, 10, 20, 16, 0)
    assert cal.deadline(at(2025, 10, 17, 17, 30), "1h") == at(2025, 10, 20, 9, 30)
    # reported on Saturday night: the clock starts on Monday at 09:00
    assert cal.deadline(at(2025, 10, 18, 22, 0), "2h") == at(2025, 10, 20, 11, 0)
    # the lunch break does not count
    assert cal.deadline(at(2025, 10, 20, 11, 0), "2h") == at(2025, 10, 20, 14, 0)
    assert cal.working_seconds(at(2025, 10, 17, 16, 0), at(2025, 10, 20, 16, 0)) == 8 * 3600


def test_overrides_and_years_beyond_the_package(cal):
    override = workcal.WorkCalendar({date(2025, 10, 20): False})
    assert override.deadline(at(2025, 10, 17, 16, 0), "1d") == at(2025, 10, 21, 16, 0)
    # 2027 is beyond the installed table (provisional): weekdays work but for the statutory holidays,
    # unless the override table says otherwise
    assert cal.is_workday(date(2027, 1, 4)) and not cal.is_workday(date(2027, 1, 2))
    assert workcal.WorkCalendar({date(2027, 1, 4): False}).is_workday(date(2027, 1, 4)) is False


def test_calendar_day_rows_override_the_package(db):
    services.calendar_day_set(day=date(2025, 10, 20), workday=False, note="local closure")
    services.calendar_day_set(day=date(2025, 10, 18), workday=True, note="make-up")
    cal = selectors.work_calendar()
    assert not cal.is_workday(date(2025, 10, 20)) and cal.is_workday(date(2025, 10, 18))


def test_working_hours_are_configurable(db, settings):
    settings.GRIDGOV_CASES_WORKING_HOURS = [("08:30", "12:00"), ("13:30", "17:30")]
    cal = selectors.work_calendar()
    assert cal.day_seconds == 7.5 * 3600
    assert cal.deadline(at(2025, 10, 20, 8, 0), "4h") == at(2025, 10, 20, 14, 0)


CUSTOM_HOURS = [("08:30", "11:30"), ("13:00", "17:00")]  # 3 h + 4 h: a working day is 7 h


def test_a_day_limit_under_custom_working_hours():
    cal = workcal.WorkCalendar(windows=workcal.parse_windows(CUSTOM_HOURS))
    assert cal.limit_seconds("1d") == 7 * 3600 and cal.limit_seconds("0.5d") == 12600
    # Mon 20 Oct 10:00 + 7 h: 1.5 h to 11:30, 4 h 13:00-17:00, Tue 08:30 + 1.5 h -> Tue 10:00
    assert cal.deadline(at(2025, 10, 20, 10, 0), "1d") == at(2025, 10, 21, 10, 0)
    # Fri 17 Oct 15:00 + 14 h: 2 h (Fri), weekend, 7 h (Mon), 3 h + 2 h (Tue) -> Tue 21 Oct 15:00
    assert cal.deadline(at(2025, 10, 17, 15, 0), "2d") == at(2025, 10, 21, 15, 0)
    # Mon 08:00 (before hours) + 3.5 h: from 08:30, 3 h to 11:30, 13:00 + 0.5 h -> 13:30
    assert cal.deadline(at(2025, 10, 20, 8, 0), "0.5d") == at(2025, 10, 20, 13, 30)
    # Tue 30 Sep 16:00 + 7 h: 1 h, 1-8 Oct holidays, Thu 9 Oct 3 h + 3 h -> 16:00
    assert cal.deadline(at(2025, 9, 30, 16, 0), "1d") == at(2025, 10, 9, 16, 0)
    # 12:00 (lunch) + 2 h: from 13:00 -> 15:00; hours limits are not stretched by the day length
    assert cal.deadline(at(2025, 10, 20, 12, 0), "2h") == at(2025, 10, 20, 15, 0)


def test_dispatch_uses_the_configured_working_hours(actors, make_case, settings):
    settings.GRIDGOV_CASES_WORKING_HOURS = CUSTOM_HOURS
    case = make_case("registered", category="E0101")
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-cm", "limit": "2d"}, now=at(2025, 10, 17, 15, 0))
    case.refresh_from_db()
    assert case.stage_limit_seconds == 14 * 3600
    assert case.stage_deadline == at(2025, 10, 21, 15, 0)
    assert case.tasks.get().deadline == at(2025, 10, 21, 15, 0)


@pytest.mark.parametrize("limit", ["0h", "3x", "", "-1d"])
def test_bad_limits_are_refused(limit):
    with pytest.raises(ValueError):
        workcal.parse_limit(limit)


def test_colours_at_79_80_and_100_percent(make_case):
    # a 10-working-hour stage from Mon 13 Oct 2025 09:00 (after 国庆)
    start = at(2025, 10, 13, 9, 0)
    case = make_case("handling")
    case.stage_started_at, case.stage_limit_seconds = start, 10 * 3600
    cal = workcal.WorkCalendar()
    checks = [(at(2025, 10, 13, 17, 54), 79.0, "green"),   # 7.9 h
              (at(2025, 10, 13, 17, 59, 59), 79.997, "green"),
              (at(2025, 10, 13, 18, 0), 80.0, "yellow"),    # 8 h
              (at(2025, 10, 14, 9, 30), 85.0, "yellow"),    # evening does not count
              (at(2025, 10, 14, 10, 59), 99.833, "yellow"),
              (at(2025, 10, 14, 11, 0), 100.0, "red"),      # 10 h
              (at(2025, 10, 14, 13, 0), 110.0, "red")]
    for now, percent, colour in checks:
        status = selectors.stage_status(case, cal=cal, now=now)
        assert (round(status.fraction * 100, 3), status.colour) == (percent, colour), now
    assert [workcal.colour(x) for x in (0.79, 0.8, 0.999, 1.0)] == ["green", "yellow", "yellow", "red"]


def test_dispatch_sets_the_task_deadline_on_the_working_calendar(actors, make_case):
    case = make_case("registered", category="E0101")  # 私搭乱建: handle 5 working days
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-cm"}, now=at(2025, 9, 30, 16, 0))
    case.refresh_from_db()
    # 5 d = 40 h: 2 h (30 Sep) + 9 Oct 8 + 10 Oct 8 + 11 Oct (Sat, make-up) 8 + 13 Oct 8 + 14 Oct 6 -> 16:00
    assert case.stage == "handle" and case.stage_deadline == at(2025, 10, 14, 16, 0)
    assert case.tasks.get().deadline == case.stage_deadline


def test_late_feedback_marks_overdue_and_escalation_raises_a_level(actors, make_case):
    case = make_case("registered", category="E0501")  # 无照经营游商: 2 working hours
    start = at(2025, 10, 20, 9, 0)
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-cm"}, now=start)
    assert services.cases_escalate(now=at(2025, 10, 20, 10, 59)) == []
    assert services.cases_escalate(now=at(2025, 10, 20, 11, 1)) == [case.pk]
    assert services.cases_escalate(now=at(2025, 10, 20, 12, 0)) == []  # once per stage
    case.refresh_from_db()
    assert case.escalation_level == 1 and case.supervising_prefix == case.grid_code[:6]
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 1
    services.case_transition(actor=actors["handler"], case_id=case.pk, action="start", now=at(2025, 10, 20, 11, 5))
    services.case_transition(actor=actors["handler"], case_id=case.pk, action="feedback", note="已劝离",
                             now=at(2025, 10, 20, 11, 10))
    case = Case.objects.get(pk=case.pk)
    assert case.overdue is True and case.handled_on_time is False


def test_escalate_command(actors, make_case, capsys):
    from gridgov import cli

    case = make_case("handling", lead="310101-cm")
    Case.objects.filter(pk=case.pk).update(stage_deadline=at(2025, 1, 1, 9, 0))
    assert cli.main(["escalate"]) == 0
    assert f"已升级 1 件超期事件: {case.pk}" in capsys.readouterr().out
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert timedelta(0) < case.updated_at - at(2025, 1, 1, 9, 0)


def test_escalation_rises_again_at_each_further_limit_up_to_the_city(actors, make_case, capsys):
    from gridgov import cli

    case = make_case("registered", category="E0501")  # 无照经营游商: 2 working hours
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-cm"}, now=at(2025, 10, 20, 9, 0))
    street, district, city = case.grid_code[:9], case.grid_code[:6], case.grid_code[:4]
    assert services.cases_escalate(now=at(2025, 10, 20, 11, 1)) == [case.pk]  # due 11:00: street -> district
    case.refresh_from_db()
    assert (case.supervising_prefix, case.escalation_level) == (district, 1)
    # the district's further limit is 2 working days (the default): 16 working hours from 11:01 Monday
    assert case.next_escalation_at == at(2025, 10, 22, 11, 1)
    assert services.cases_escalate(now=at(2025, 10, 22, 11, 0)) == []
    # the drill: what would happen a minute later, nothing written
    assert cli.main(["escalate", "--dry-run", "--now", "2025-10-22T11:02"]) == 0
    out = capsys.readouterr().out
    assert f"事件 {case.pk}：处置阶段自 2025-10-20 11:00 起超期：{district} -> {city}（第 2 级）" in out
    assert "将升级 1 件超期事件" in out
    assert Case.objects.get(pk=case.pk).escalation_level == 1
    assert cli.main(["escalate", "--now", "2025-10-22T11:02+08:00"]) == 0
    case.refresh_from_db()
    assert (case.supervising_prefix, case.escalation_level, case.next_escalation_at) == (city, 2, None)
    assert services.cases_escalate(now=at(2025, 12, 1, 9, 0)) == []  # the city is the top
    steps = [(e.data["from"], e.data["to"], e.data["step"])
             for e in CaseEvent.objects.filter(case=case, action="escalate").order_by("at")]
    assert steps == [(street, district, 1), (district, city, 2)]


def test_escalation_stops_at_the_district_when_its_limit_is_empty(actors, make_case, settings):
    settings.GRIDGOV_CASES_ESCALATION_AFTER = {"district": ""}
    case = make_case("registered", category="E0501")
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-cm"}, now=at(2025, 10, 20, 9, 0))
    assert services.cases_escalate(now=at(2025, 10, 20, 11, 1)) == [case.pk]
    assert services.cases_escalate(now=at(2025, 12, 1, 9, 0)) == []
    assert Case.objects.get(pk=case.pk).supervising_prefix == case.grid_code[:6]


def test_a_new_stage_starts_a_new_escalation_ladder(actors, make_case):
    case = make_case("registered", category="E0501")
    services.case_transition(actor=actors["centre"], case_id=case.pk, action="dispatch",
                             params={"lead_department": "310101-cm"}, now=at(2025, 10, 20, 9, 0))
    services.cases_escalate(now=at(2025, 10, 20, 11, 1))
    services.case_transition(actor=actors["handler"], case_id=case.pk, action="start", now=at(2025, 10, 20, 11, 5))
    services.case_transition(actor=actors["handler"], case_id=case.pk, action="feedback", note="已劝离",
                             now=at(2025, 10, 20, 11, 10))
    case.refresh_from_db()
    assert case.stage == "verify" and not case.stage_escalated and case.next_escalation_at is None


def test_escalate_refuses_a_bad_now(db, capsys):
    from gridgov import cli

    assert cli.main(["escalate", "--now", "yesterday"]) == 2
    assert "--now 'yesterday'：不是 ISO 8601 时间" in capsys.readouterr().err


def test_the_migration_schedules_the_next_step_of_cases_escalated_before_it(actors, make_case):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("gridgov.cases.migrations.0007_next_escalation")
    case = make_case("handling", lead="310101-cm")
    Case.objects.filter(pk=case.pk).update(stage_escalated=True, escalation_level=1,
                                           supervising_prefix=case.grid_code[:6])
    CaseEvent.objects.create(case=case, grid_code=case.grid_code, at=at(2025, 10, 20, 11, 1), action="escalate")
    migration.schedule_next_steps(apps, None)
    assert Case.objects.get(pk=case.pk).next_escalation_at == at(2025, 10, 22, 11, 1)
