"""Visits of a campaign: default assignment to the grid's workers, reassignment, recording what was
found (counts, differing fields, stubs, non-response), and corrections approved by the centre and
applied through the registry's services — while the visit keeps what was found."""

from __future__ import annotations

import uuid

import pytest

from gridgov.core.errors import Conflict, FieldError, Forbidden, NotFound
from gridgov.core.models import AuditEvent
from gridgov.quality import selectors, visit_services
from gridgov.quality.models import CorrectionProposal, SampledHouse, Visit, VisitAssignment
from tests.quality import test_visits_data
from tests.quality.test_visits_data import G1, G2, G3, design, residents_of

# the shared fixtures of the visit tests
world, fast_hashing = test_visits_data.world, test_visits_data.fast_hashing


def _first(campaign, grid):
    return SampledHouse.objects.filter(campaign=campaign, grid_code=grid).order_by("rank").first()


def test_default_assignment_goes_to_the_workers_of_each_grid(world):
    u = world["users"]
    campaign = design(u["centre"])
    owners = {(a.grid_code, a.worker_id) for a in VisitAssignment.objects.filter(campaign=campaign)}
    # grids 1 and 2 have a grid worker each; grid 3 only community staff on its community
    assert owners == {(G1, u["w1"].pk), (G2, u["w2"].pk), (G3, u["w3"].pk)}
    assert VisitAssignment.objects.filter(campaign=campaign).count() == campaign.sample_size
    event = AuditEvent.objects.filter(object_type="quality.assignment").latest("id")
    assert event.changes == {"assigned": campaign.sample_size, "unassigned": 0}
    # already assigned houses are left alone
    assert visit_services.assignment_default(actor=u["centre"], campaign_id=campaign.pk) == 0


def test_reassignment_needs_a_worker_of_the_grid(world):
    u = world["users"]
    campaign = design(u["centre"])
    house = _first(campaign, G1)
    with pytest.raises(FieldError) as err:
        visit_services.assignment_set(actor=u["centre"], sampled_house_id=house.pk, worker_id=u["w2"].pk)
    assert err.value.details[0].field == "worker_id"
    with pytest.raises(Forbidden):
        visit_services.assignment_set(actor=u["w1"], sampled_house_id=house.pk, worker_id=u["w1"].pk)
    extra = world["users"]["w1"].__class__.objects.get(username="q_staff3")  # community staff: not grid 1
    with pytest.raises(FieldError):
        visit_services.assignment_set(actor=u["centre"], sampled_house_id=house.pk, worker_id=extra.pk)


def test_a_visit_stores_what_was_found(world):
    u = world["users"]
    campaign = design(u["centre"])
    house = _first(campaign, G1)
    a, b = residents_of(house.house_id)
    other_house = next(h for h in world["houses"] if h.grid_code == G1 and h.pk != house.house_id)
    elsewhere = residents_of(other_house.pk)[0]  # registered in another house of the grid
    visit = visit_services.visit_record(actor=u["w1"], sampled_house_id=house.pk, outcome="found", persons=[
        {"person_id": a},
        {"person_id": b, "differing": {"phone": "13900000000"}},
        {"person_id": elsewhere},
        {"stub": {"name": "新来的", "sex": "2", "birth_date": "1999-09-09"}},
    ])
    assert (visit.persons_found, visit.persons_registered, visit.records_checked, visit.records_accurate) == (4, 3, 3, 1)
    proposals = {(p.kind, p.person_id): p.data for p in CorrectionProposal.objects.filter(campaign=campaign)}
    assert proposals == {("update", b): {"phone": "13900000000"},
                         ("update", elsewhere): {"house": str(house.house_id)},
                         ("register", None): {"name": "新来的", "sex": "2", "birth_date": "1999-09-09",
                                              "population_type": "01"}}
    event = AuditEvent.objects.filter(object_type="quality.visit").latest("id")
    assert event.changes["outcome"] == "found" and event.changes["proposals"] == 3


def test_non_response_is_recorded_and_bad_visits_refused(world):
    u = world["users"]
    campaign = design(u["centre"])
    houses = list(SampledHouse.objects.filter(campaign=campaign, grid_code=G1).order_by("rank"))
    with pytest.raises(FieldError) as err:
        visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[0].pk, outcome="found", persons=[])
    assert err.value.details[0].field == "persons"
    with pytest.raises(FieldError):
        visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[0].pk, outcome="refused",
                                    persons=[{"stub": {"name": "某人"}}])
    foreign = residents_of(_first(campaign, G2).house_id)[0]  # outside the worker's grid: not matchable
    with pytest.raises(FieldError) as err:
        visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[0].pk, outcome="found",
                                    persons=[{"person_id": foreign}])
    assert err.value.details[0].field == "persons[0].person_id"
    with pytest.raises(FieldError) as err:
        visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[0].pk, outcome="gone")
    assert err.value.details[0].field == "outcome"
    with pytest.raises(FieldError) as err:
        visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[0].pk, outcome="found",
                                    persons=[{"person_id": residents_of(houses[0].house_id)[0],
                                              "differing": {"hobby": "x"}}])
    assert err.value.details[0].field == "persons[0].differing"
    with pytest.raises(NotFound):  # a worker of another grid
        visit_services.visit_record(actor=u["w2"], sampled_house_id=houses[0].pk, outcome="refused")
    key = str(uuid.uuid4())
    first = visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[0].pk, outcome="refused",
                                        client_uuid=key)
    again = visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[0].pk, outcome="refused",
                                        client_uuid=key)
    assert again.pk == first.pk and first.persons_found == 0
    with pytest.raises(Conflict):
        visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[0].pk, outcome="empty")
    visit_services.visit_record(actor=u["w1"], sampled_house_id=houses[1].pk, outcome="not_found")
    assert sorted(Visit.objects.filter(campaign=campaign).values_list("outcome", flat=True)) == ["not_found", "refused"]


def test_reassigned_house_is_visited_by_its_new_worker_only(world, make_user):
    u = world["users"]
    campaign = design(u["centre"])
    house = _first(campaign, G1)
    other = make_user("q_worker1b", ("grid_worker", G1))
    visit_services.assignment_set(actor=u["centre"], sampled_house_id=house.pk, worker_id=other.pk)
    with pytest.raises(Forbidden):
        visit_services.visit_record(actor=u["w1"], sampled_house_id=house.pk, outcome="empty")
    visit_services.visit_record(actor=other, sampled_house_id=house.pk, outcome="empty")
    with pytest.raises(Conflict):  # visited: no more reassignment
        visit_services.assignment_set(actor=u["centre"], sampled_house_id=house.pk, worker_id=u["w1"].pk)


def test_approved_corrections_go_through_the_register_and_visits_keep_what_was_found(world):
    from gridgov.registry.models import Person, Residence

    u = world["users"]
    campaign = design(u["centre"])
    house = _first(campaign, G1)
    a, b = residents_of(house.house_id)
    visit = visit_services.visit_record(actor=u["w1"], sampled_house_id=house.pk, outcome="found", persons=[
        {"person_id": a, "differing": {"phone": "13900000000", "name": "王小明"}},
        {"person_id": b},
        {"stub": {"name": "新来的", "sex": "2", "identity_number": "11010519491231002X"}},
    ])
    update = CorrectionProposal.objects.get(campaign=campaign, kind="update")
    stub = CorrectionProposal.objects.get(campaign=campaign, kind="register")
    with pytest.raises(Forbidden):  # a grid worker does not approve
        visit_services.correction_decide(actor=u["w1"], proposal_id=update.pk, approve=True)
    visit_services.correction_decide(actor=u["centre"], proposal_id=update.pk, approve=True)
    person = Person.objects.get(pk=a)
    assert (person.phone, person.name) == ("13900000000", "王小明")
    with pytest.raises(Conflict):
        visit_services.correction_decide(actor=u["centre"], proposal_id=update.pk, approve=False)
    visit_services.correction_decide(actor=u["centre"], proposal_id=stub.pk, approve=True)
    new = Person.objects.get(name="新来的")
    assert Residence.objects.filter(person=new, house_id=house.house_id, end_date__isnull=True).exists()
    # the register's own audit rows for both writes, and the decisions
    assert AuditEvent.objects.filter(object_type="registry.person", object_id=str(a), action="UPDATE").exists()
    assert AuditEvent.objects.filter(object_type="quality.correction").count() == 2
    visit.refresh_from_db()
    assert (visit.persons_found, visit.persons_registered, visit.records_accurate) == (3, 2, 1)


def test_rejected_correction_leaves_the_register(world):
    from gridgov.registry.models import Person

    u = world["users"]
    campaign = design(u["centre"])
    house = _first(campaign, G2)
    a = residents_of(house.house_id)[0]
    before = Person.objects.get(pk=a).phone
    visit_services.visit_record(actor=u["w2"], sampled_house_id=house.pk, outcome="found",
                                persons=[{"person_id": a, "differing": {"phone": "13700000000"}}])
    p = CorrectionProposal.objects.get(campaign=campaign)
    decided = visit_services.correction_decide(actor=u["centre"], proposal_id=p.pk, approve=False)
    assert decided.status == "rejected" and Person.objects.get(pk=a).phone == before


def test_worklist_shows_my_houses_unvisited_first(world):
    u = world["users"]
    campaign = design(u["centre"])
    mine = list(SampledHouse.objects.filter(campaign=campaign, grid_code=G2).order_by("house_code"))
    visit_services.visit_record(actor=u["w2"], sampled_house_id=mine[0].pk, outcome="empty")
    rows = selectors.worklist(u["w2"])
    assert {r["id"] for r in rows} == {h.pk for h in mine}
    assert rows[-1]["id"] == mine[0].pk and rows[-1]["outcome"] == "empty"
    assert all(r["outcome"] == "" for r in rows[:-1])
    with pytest.raises(Forbidden):
        selectors.worklist(u["centre"])


def test_visit_form_lists_residents_masked_and_scoped_search(world):
    u = world["users"]
    campaign = design(u["centre"])
    house = _first(campaign, G1)
    form = selectors.visit_form(u["w1"], house.pk)
    assert [r["id"] for r in form["residents"]] == residents_of(house.house_id)
    assert all("*" in r["phone_masked"] for r in form["residents"])
    with pytest.raises(NotFound):
        selectors.visit_form(u["w2"], house.pk)


def test_api_worklist_and_visit(world, client):
    u = world["users"]
    campaign = design(u["centre"])
    house = _first(campaign, G1)
    a, b = residents_of(house.house_id)
    client.force_login(u["w1"])
    listed = client.get("/api/v1/quality/worklist")
    assert listed.status_code == 200 and house.pk in {r["id"] for r in listed.json()}
    posted = client.post(f"/api/v1/quality/visits/{house.pk}", content_type="application/json", data={
        "outcome": "found", "persons": [{"person_id": a}, {"person_id": b, "differing": {"name": "改名"}}]})
    assert posted.status_code == 201
    assert posted.json() == {"id": posted.json()["id"], "outcome": "found", "persons_found": 2,
                             "persons_registered": 2, "records_checked": 2, "records_accurate": 1}
    again = client.post(f"/api/v1/quality/visits/{house.pk}", content_type="application/json",
                        data={"outcome": "empty"})
    assert again.status_code == 409
    bad = client.post(f"/api/v1/quality/visits/{_first(campaign, G2).pk}", content_type="application/json",
                      data={"outcome": "empty"})
    assert bad.status_code == 404
    proposal = CorrectionProposal.objects.get(campaign=campaign)
    assert client.post(f"/api/v1/quality/corrections/{proposal.pk}/decision", content_type="application/json",
                       data={"approve": True}).status_code == 403
    client.force_login(u["centre"])
    decided = client.post(f"/api/v1/quality/corrections/{proposal.pk}/decision", content_type="application/json",
                          data={"approve": False, "reason": "核实有误"})
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"


def test_worklist_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    u = world["users"]
    design(u["centre"])
    design(u["centre"], name="第二次核查", seed=99)
    u["w1"]._gridgov_memberships = None
    with django_assert_max_num_queries(8):
        rows = selectors.worklist(u["w1"])
    assert len(rows) > 10
