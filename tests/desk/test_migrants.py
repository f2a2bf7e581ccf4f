"""Services for migrant residents: residence permit applications (documents, review, issue valid one
year through the register, renewal, reminders 30 days ahead, lapse), residence registration
(人户分离), service referrals and social-work projects."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound

from .conftest import FAR, GRID, GRID2, TODAY

pytestmark = pytest.mark.django_db
ALL_DOCS = ["identity", "photo", "residence_proof", "condition_proof"]


def _apply(actor, p, *, renewal=False, docs=ALL_DOCS, condition="employment"):
    from gridgov.desk import services

    return services.permit_apply(actor=actor, person_id=p.pk, renewal=renewal, condition=condition, documents=docs,
                                 today=TODAY)


def test_first_permit_is_issued_for_one_year_after_review(users, person):
    from gridgov.core.models import AuditEvent
    from gridgov.desk import services
    from gridgov.registry.models import ResidencePermit

    p = person("来沪甲")
    app = _apply(users["desk"], p, docs=["identity", "photo", "residence_proof"])
    with pytest.raises(FieldError) as e:  # the proof of the condition is missing
        services.permit_review(actor=users["desk"], application_id=app.pk, version=app.version, approve=True,
                               today=TODAY)
    assert e.value.details[0].code == "missing_document"
    done = services.permit_review(actor=users["desk"], application_id=app.pk, version=app.version, approve=True,
                                  documents=ALL_DOCS, today=TODAY)
    permit = ResidencePermit.objects.get(person=p)
    assert (done.status, done.permit_id) == ("issued", permit.pk)
    assert (permit.issue_date, permit.expiry_date, permit.status) == (TODAY, date(2027, 3, 2), "valid")
    assert AuditEvent.objects.filter(object_type="registry.residencepermit", action="CREATE").count() == 1
    with pytest.raises(Conflict):  # decided once
        services.permit_review(actor=users["desk"], application_id=app.pk, version=done.version, approve=False,
                               note="x", today=TODAY)


def test_permit_rules(users, person, permit):
    from gridgov.desk import services

    with pytest.raises(FieldError) as e:  # a Shanghai hukou resident gets no residence permit
        _apply(users["desk"], person("户籍乙", floating=False))
    assert e.value.details[0].code == "not_eligible"
    p = person("来沪丙")
    permit(p, expiry=date(2026, 6, 1))
    with pytest.raises(FieldError) as e:
        _apply(users["desk"], p)  # holds a valid permit: renewal, not a first application
    assert e.value.details[0].code == "has_permit"
    with pytest.raises(FieldError) as e:
        _apply(users["desk"], p, renewal=True)  # 91 days before expiry: too early
    assert e.value.details[0].code == "too_early"
    q = person("来沪丁")
    app = _apply(users["desk"], q)
    with pytest.raises(Conflict):
        _apply(users["desk"], q)  # one open application per person
    with pytest.raises(FieldError):  # a rejection needs a reason
        services.permit_review(actor=users["desk"], application_id=app.pk, version=app.version, approve=False,
                               today=TODAY)
    rejected = services.permit_review(actor=users["desk"], application_id=app.pk, version=app.version,
                                      approve=False, note="租赁合同已过期", today=TODAY)
    assert rejected.status == "rejected"


def test_renewal_extends_from_the_old_expiry_and_ends_the_old_permit(users, person, permit):
    from gridgov.desk import services
    from gridgov.registry.models import ResidencePermit

    p = person("来沪戊")
    old = permit(p, expiry=date(2026, 3, 20))
    app = _apply(users["desk"], p, renewal=True)
    assert app.previous_id == old.pk and app.condition == "employment"
    services.permit_review(actor=users["desk"], application_id=app.pk, version=app.version, approve=True, today=TODAY)
    old.refresh_from_db()
    new = ResidencePermit.objects.exclude(pk=old.pk).get(person=p)
    assert old.status == "expired"
    assert (new.issue_date, new.expiry_date, new.status) == (TODAY, date(2027, 3, 20), "valid")


def test_lapsed_permit_renews_from_today(users, person, permit):
    from gridgov.desk import services
    from gridgov.registry.models import ResidencePermit

    p = person("来沪己")
    old = permit(p, expiry=date(2026, 2, 1), status="expired")
    app = _apply(users["desk"], p, renewal=True)
    services.permit_review(actor=users["desk"], application_id=app.pk, version=app.version, approve=True, today=TODAY)
    assert ResidencePermit.objects.exclude(pk=old.pk).get(person=p).expiry_date == date(2027, 3, 2)


def test_review_needs_desk_migrants_in_the_jurisdiction(users, person, make_user):
    from gridgov.desk import services

    app = _apply(users["desk"], person("来沪庚"))
    with pytest.raises(NotFound):
        services.permit_review(actor=users["far_desk"], application_id=app.pk, version=1, approve=False, note="x")
    with pytest.raises(NotFound):  # no desk.migrants anywhere: the application is not visible
        services.permit_review(actor=users["grid"], application_id=app.pk, version=1, approve=False, note="x")


def test_reminders_30_days_ahead_then_lapse(users, person, permit):
    from gridgov.desk import selectors, services
    from gridgov.registry.models import ResidencePermit

    in10 = permit(person("甲"), expiry=date(2026, 3, 12))
    in30 = permit(person("乙"), expiry=date(2026, 4, 1))
    permit(person("丙"), expiry=date(2026, 4, 2))  # 31 days: not yet
    far = permit(person("丁", grid_code=FAR), expiry=date(2026, 3, 10))
    yesterday = permit(person("戊"), expiry=date(2026, 3, 1))
    assert services.permit_reminders_raise(today=TODAY) == 3  # in10, in30 and the far one
    assert services.permit_reminders_raise(today=TODAY) == 0
    rows = selectors.renewal_reminders(users["grid"], today=TODAY)
    assert [r["person_name"] for r in rows] == ["甲", "乙"]
    assert [r["days_left"] for r in rows] == [10, 30]
    assert [r["colour"] for r in rows] == ["yellow", "green"]
    assert far.pk not in [r["id"] for r in rows]
    assert services.permits_lapse(today=TODAY) == 1
    yesterday.refresh_from_db()
    in10.refresh_from_db()
    assert (yesterday.status, in10.status) == ("expired", "valid")
    # renewed: the reminder leaves the list
    app = _apply(users["desk"], ResidencePermit.objects.get(pk=in30.pk).person, renewal=True)
    assert [r["applied"] for r in selectors.renewal_reminders(users["grid"], today=TODAY)] == [False, True]
    services.permit_review(actor=users["desk"], application_id=app.pk, version=app.version, approve=True, today=TODAY)
    assert [r["person_name"] for r in selectors.renewal_reminders(users["grid"], today=TODAY)] == ["甲"]


def test_residence_registration_moves_the_place_of_service(users, person, house):
    from gridgov.desk import services

    p = person("人户分离甲", grid_code=GRID, floating=False, hukou="310104")
    h = house(GRID2)
    reg = services.residence_register(actor=users["desk"], person_id=p.pk, house_id=h.pk, registered_on=TODAY)
    p.refresh_from_db()
    assert (p.grid_code, p.house_id, p.household_separated) == (GRID2, h.pk, True)
    assert (reg.from_grid_code, reg.grid_code, reg.household_separated) == (GRID, GRID2, True)
    with pytest.raises(Forbidden):  # the grid worker has no desk.intake
        services.residence_register(actor=users["grid"], person_id=person("丙", grid_code=GRID).pk,
                                    house_id=house(GRID).pk)


def test_residence_request_through_the_desk(users, person, house):
    from gridgov.desk import services

    p = person("人户分离乙", floating=False, hukou="310104")
    r = services.request_receive(actor=users["desk"], channel="in_person", kind="residence", text="办理居住登记",
                                 person_id=p.pk, house_id=house(GRID2).pk)
    assert r.route == "registration" and r.registration.grid_code == GRID2
    assert services.target_state(r) == ("registered", True)


def test_service_referral_with_outcome(users, person):
    from gridgov.desk import selectors, services
    from gridgov.registry.models import Organisation

    org = Organisation.objects.create(name="黄浦区就业服务中心", category="S01", grid_code=GRID)
    p = person("来沪辛")
    r = services.request_receive(actor=users["desk"], channel="in_person", kind="service", text="求职登记",
                                 person_id=p.pk, organisation_id=org.pk, referral_kind="employment")
    ref = r.referral
    assert (ref.kind, ref.organisation_id, ref.status) == ("employment", org.pk, "referred")
    assert services.target_state(r)[1] is False
    with pytest.raises(FieldError):  # an outcome is required at completion
        services.referral_record(actor=users["desk"], referral_id=ref.pk, version=ref.version, status="completed")
    ref = services.referral_record(actor=users["desk"], referral_id=ref.pk, version=ref.version, status="completed",
                                   outcome="已推荐到物业公司上岗")
    with pytest.raises(Conflict):
        services.referral_record(actor=users["desk"], referral_id=ref.pk, version=ref.version, status="accepted")
    rows = selectors.referrals(users["desk"])
    assert [(x["status"], x["outcome"]) for x in rows] == [("completed", "已推荐到物业公司上岗")]
    r.refresh_from_db()
    assert services.target_state(r) == ("completed", True)


def test_social_work_project_outputs(users, person):
    from gridgov.desk import selectors, services
    from gridgov.registry.models import Organisation

    org = Organisation.objects.create(name="黄浦区乐群社工服务社", category="S01", grid_code=GRID)
    proj = services.project_create(actor=users["street"], name="来沪人员融入服务", provider_id=org.pk,
                                   area_code="310101002", areas=["310101002001"], target_groups=["来沪人员"],
                                   budget_yuan="380000", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                                   outputs=[("入户走访", "户次", 120), ("政策宣讲", "场", 10)])
    visits = proj.outputs.get(name="入户走访")
    services.output_record(actor=users["street"], output_id=visits.pk, on=date(2026, 2, 1), quantity=30)
    services.output_record(actor=users["street"], output_id=visits.pk, on=date(2026, 2, 15), quantity=12)
    with pytest.raises(FieldError):
        services.output_record(actor=users["street"], output_id=visits.pk, on=date(2027, 1, 5), quantity=1)
    with pytest.raises(NotFound):
        services.output_record(actor=users["far_desk"], output_id=visits.pk, on=date(2026, 2, 1), quantity=1)
    [row] = selectors.projects(users["street"])
    out = {o["name"]: (o["done"], o["target"], o["percent"]) for o in row["outputs"]}
    assert out == {"入户走访": (42, 120, 35), "政策宣讲": (0, 10, 0)}
    assert selectors.projects(users["far_desk"]) == []
    with pytest.raises(FieldError):
        services.project_create(actor=users["street"], name="x", provider_id=org.pk, area_code="310101002",
                                areas=["310104003"], target_groups=[], budget_yuan="1", start_date=date(2026, 1, 1),
                                end_date=date(2026, 2, 1), outputs=[("a", "次", 1)])
