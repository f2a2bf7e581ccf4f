"""Public-concern response (issue 20 §3): no person link, clock-hour deadlines, statements as the
public record, escalation, scope, pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import models

from gridgov.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gridgov.core.models import AuditEvent
from gridgov.desk import concern_selectors as selectors
from gridgov.desk import concern_services as services
from gridgov.desk.models import ConcernEvent, PublicConcern, Statement

T0 = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
STREET = "310101002"


# ----------------------------------------------------------------------------- no person link

def test_no_model_of_the_response_links_a_person_or_holds_a_posters_identity():
    allowed_targets = {"accounts.User", "cases.Case", "desk.PublicConcern"}
    forbidden_words = ("poster", "author", "caller", "phone", "mobile", "identity", "id_number", "account",
                       "nickname", "person", "resident", "ip")
    for model in (PublicConcern, Statement, ConcernEvent):
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete or isinstance(field, models.ManyToManyField):
                target = field.related_model._meta.label
                assert target in allowed_targets, f"{model.__name__}.{field.name} -> {target}"
            if field.concrete:
                name = field.name.lower()
                assert not any(name == w or name.startswith(w + "_") or name.endswith("_" + w) for w in forbidden_words), \
                    f"{model.__name__}.{field.name}"
    # the users linked are staff: the spokesperson, who recorded it, who published
    user_fields = {f.name for m in (PublicConcern, Statement, ConcernEvent) for f in m._meta.concrete_fields
                   if f.is_relation and f.related_model._meta.label == "accounts.User"}
    assert user_fields == {"spokesperson", "opened_by", "published_by", "actor"}


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture
def staff(make_user):
    return {
        "street": make_user("street", ("street_centre", STREET)),
        "other_street": make_user("other", ("street_centre", "310101007")),
        "district": make_user("district", ("district_centre", "310101")),
        "grid": make_user("grid", ("grid_worker", STREET + "001001")),
    }


def _open(staff, **overrides):
    data = dict(actor=staff["street"], title="“自来水有异味”传言", public_text="网上流传某小区自来水有异味，称已致多人不适。",
                source="rumour", source_link="https://example.org/post/1", area_code=STREET,
                spokesperson=staff["street"], now=T0)
    data.update(overrides)
    return services.concern_open(**data)


# ----------------------------------------------------------------------------- deadlines

@pytest.mark.django_db
def test_the_first_response_is_due_in_clock_hours_and_coloured_like_case_deadlines(staff):
    concern = _open(staff, first_response_hours=4)
    assert concern.status == "open"
    assert concern.due_at == datetime(2026, 12, 4, 5, 0, tzinfo=UTC)  # 4 clock hours, no working calendar
    assert selectors.clock(concern, now=T0 + timedelta(hours=3)).colour == "green"      # 75 %
    assert selectors.clock(concern, now=T0 + timedelta(minutes=192)).colour == "yellow"  # 80 %
    assert selectors.clock(concern, now=T0 + timedelta(hours=4)).colour == "red"        # 100 %
    assert selectors.clock(concern, now=T0 + timedelta(hours=2)).percent == 50.0


@pytest.mark.django_db
def test_statements_move_the_clock_and_are_marked_on_time_or_late(staff):
    concern = _open(staff, first_response_hours=4, follow_up_hours=24)
    first = services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="first",
                                       text="经检测，该小区水质符合国家标准，正在排查异味来源。", version=1,
                                       now=T0 + timedelta(hours=2))
    assert first.on_time is True and first.due_at == T0 + timedelta(hours=4)
    concern.refresh_from_db()
    assert concern.status == "responding"
    assert concern.due_at == T0 + timedelta(hours=26)  # 24 h after the first statement
    late = services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="follow_up",
                                      text="异味来源为二次供水水箱清洗，已完成处置。", version=concern.version,
                                      now=T0 + timedelta(hours=30))
    assert late.on_time is False
    concern.refresh_from_db()
    closing = services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="closing",
                                         text="处置完毕，复检合格。", version=concern.version, now=T0 + timedelta(hours=40))
    assert closing.on_time is True
    concern.refresh_from_db()
    assert (concern.status, concern.due_at, concern.closed_at) == ("closed", None, T0 + timedelta(hours=40))
    assert selectors.clock(concern).colour == ""
    with pytest.raises(ValidationFailed):
        services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="follow_up", text="再补充",
                                   version=concern.version)
    assert list(concern.statements.values_list("kind", flat=True)) == ["first", "follow_up", "closing"]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "kind", "allowed"), [
    ("open", "first", True), ("open", "closing", True), ("open", "follow_up", False),
    ("responding", "first", False), ("responding", "follow_up", True), ("responding", "closing", True),
    ("closed", "first", False), ("closed", "follow_up", False), ("closed", "closing", False),
])
def test_transition_table_exhaustively(staff, status, kind, allowed):
    concern = _open(staff)
    PublicConcern.objects.filter(pk=concern.pk).update(status=status)
    if allowed:
        services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind=kind, text="说明", version=1)
    else:
        with pytest.raises(ValidationFailed):
            services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind=kind, text="说明", version=1)
        assert not Statement.objects.exists()


@pytest.mark.django_db
def test_a_stale_version_publishes_nothing(staff):
    concern = _open(staff)
    services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="first", text="首次回应", version=1)
    with pytest.raises(Conflict):
        services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="follow_up", text="后续",
                                   version=1)
    assert Statement.objects.count() == 1


@pytest.mark.django_db
def test_an_empty_statement_is_refused_naming_the_statement(staff):
    from gridgov.core.errors import FieldError
    from gridgov.core.i18n import text_of

    concern = _open(staff)
    with pytest.raises(FieldError) as caught:
        services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="first", text=" ", version=1)
    assert text_of(caught.value).startswith("回应内容")
    assert Statement.objects.count() == 0


@pytest.mark.django_db
def test_overdue_items_are_escalated_once_and_a_statement_clears_it(staff):
    concern = _open(staff, first_response_hours=2)
    assert services.concerns_escalate(now=T0 + timedelta(hours=1)) == []
    assert services.concerns_escalate(now=T0 + timedelta(hours=3)) == [concern.pk]
    assert services.concerns_escalate(now=T0 + timedelta(hours=4)) == []  # once per deadline
    concern.refresh_from_db()
    assert concern.escalated_at == T0 + timedelta(hours=3)
    assert selectors.concern_counts(staff["district"])["escalated"] == 1
    services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="first", text="回应",
                               version=concern.version, now=T0 + timedelta(hours=5))
    concern.refresh_from_db()
    assert concern.escalated_at is None
    assert list(concern.events.values_list("kind", flat=True)) == ["opened", "escalated", "statement"]


# ----------------------------------------------------------------------------- input, scope, audit

@pytest.mark.django_db
def test_bad_input_names_each_field(staff):
    with pytest.raises(ValidationFailed) as err:
        _open(staff, title="", source="blog", source_link="", source_description="", first_response_hours=0)
    fields = {d.field for d in err.value.details}
    assert fields == {"title", "source", "source_link", "first_response_hours"}
    assert not PublicConcern.objects.exists()


@pytest.mark.django_db
def test_an_area_outside_the_capture_scope_is_refused(staff):
    with pytest.raises(ValidationFailed) as err:
        _open(staff, area_code="310101007")
    assert [d.code for d in err.value.details] == ["out_of_scope"]


@pytest.mark.django_db
def test_the_spokesperson_must_answer_for_the_area(staff):
    with pytest.raises(ValidationFailed) as err:
        _open(staff, spokesperson=staff["other_street"])
    assert [d.field for d in err.value.details] == ["spokesperson"]


@pytest.mark.django_db
def test_reads_follow_the_area_and_the_capability(staff):
    concern = _open(staff)
    assert selectors.concern_get(staff["district"], concern.pk) == concern
    with pytest.raises(NotFound):
        selectors.concern_get(staff["other_street"], concern.pk)
    with pytest.raises(Forbidden):
        selectors.concerns_visible(staff["grid"])
    with pytest.raises(NotFound):
        services.statement_publish(actor=staff["other_street"], concern_id=concern.pk, kind="first", text="x",
                                   version=1)


@pytest.mark.django_db
def test_writes_are_audited(staff):
    concern = _open(staff)
    services.statement_publish(actor=staff["street"], concern_id=concern.pk, kind="first", text="回应", version=1)
    rows = AuditEvent.objects.filter(object_type="public_concern", object_id=str(concern.pk)).order_by("id")
    assert [r.action for r in rows] == ["CREATE", "TRANSITION"]
    assert rows[1].changes["statement"] == "first"


# ----------------------------------------------------------------------------- pages

@pytest.mark.django_db
def test_pages_record_publish_and_list_in_chinese(client, staff):
    client.force_login(staff["street"])
    response = client.post("/desk/concerns/new/", {
        "title": "地铁站附近积水传言", "public_text": "有人称地铁站出入口积水严重。", "source": "hotline",
        "source_description": "12345热线本周8次来电", "area_code": STREET, "spokesperson": staff["street"].pk,
        "first_response_hours": "3", "follow_up_hours": "12"})
    concern = PublicConcern.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/concerns/{concern.pk}/"
    page = client.get(f"/desk/concerns/{concern.pk}/").content.decode()
    assert "地铁站附近积水传言" in page and "12345热线本周8次来电" in page and "首次回应" in page
    client.post(f"/desk/concerns/{concern.pk}/", {"kind": "first", "text": "已派排水部门现场处置。", "version": "1"})
    listing = client.get("/desk/concerns/").content.decode()
    assert "已回应，待后续说明" in listing
    page = client.get(f"/desk/concerns/{concern.pk}/").content.decode()
    assert "已派排水部门现场处置。" in page and "按时发布" in page


@pytest.mark.django_db
def test_the_form_shows_every_problem_and_keeps_the_input(client, staff):
    client.force_login(staff["street"])
    page = client.post("/desk/concerns/new/", {
        "title": "", "public_text": "有人称…", "source": "rumour", "area_code": STREET,
        "spokesperson": staff["street"].pk, "first_response_hours": "100", "follow_up_hours": "24"}).content.decode()
    assert "请给出公开来源的链接或描述来源" in page
    assert "有人称…" in page
    assert not PublicConcern.objects.exists()


@pytest.mark.django_db
def test_pages_refuse_without_capability_and_hide_other_areas(client, staff):
    concern = _open(staff)
    client.force_login(staff["grid"])
    assert client.get("/desk/concerns/").status_code == 403
    client.force_login(staff["other_street"])
    assert client.get(f"/desk/concerns/{concern.pk}/").status_code == 404
