"""The register through the API and pages: scoping (404 everywhere outside), masking of every
non-reveal response, the audited reveal, query budgets on lists."""

import io
import re
import zipfile

import pytest

from gridgov.core.models import AuditEvent
from gridgov.registry import services
from tests.registry.conftest import client_for, ident

FULL_ID = re.compile(rb"\d{17}[\dXx]")


@pytest.fixture
def world(users, houses, person_data):
    """A person in street A (a1) and one in street B, with a permit, a rental, an organisation and a
    duplicate candidate in each street."""
    from datetime import date, timedelta

    from gridgov.core.uscc import make_uscc

    out = {}
    for key, actor, house in (("a", users["street_a"], houses["a1_1"]), ("b", users["street_b"], houses["b_1"])):
        seq = 1 if key == "a" else 2
        p = services.person_register(actor=actor, data=person_data(seq, phone="13912345678"), house_id=house.pk).person
        services.permit_issue(actor=actor, person_id=p.pk, number=f"31{seq:016d}", issue_date=date.today(),
                              expiry_date=date.today() + timedelta(days=10), condition="employment")
        dup = services.person_register(actor=actor, data=person_data(seq, identity_number=ident(seq + 50)),
                                       house_id=house.pk)
        rental = services.rental_register(actor=actor, house_id=house.pk, landlord_name="房东",
                                          landlord_doc_number=ident(seq + 80), start_date="2024-01-01",
                                          tenant_ids=[p.pk])
        org = services.organisation_register(actor=actor, data={
            "uscc": make_uscc(f"91310101MA1FL00{seq:02d}"), "name": f"公司{key}", "category": "E01"},
            house_id=house.pk)
        out[key] = {"person": p, "house": house, "dup": dup.duplicates[0], "rental": rental, "org": org}
    return out


def _endpoints(w):
    p, h, d, o = w["person"].pk, w["house"].pk, w["dup"].pk, w["org"].pk
    return [
        ("get", f"/api/v1/registry/persons/{p}", None),
        ("patch", f"/api/v1/registry/persons/{p}", {"version": 1, "phone": "13800000000"}),
        ("post", f"/api/v1/registry/persons/{p}/move-in", {"house_id": h}),
        ("post", f"/api/v1/registry/persons/{p}/move-out", {}),
        ("post", f"/api/v1/registry/persons/{p}/flags", {"empty_registration": True}),
        ("post", f"/api/v1/registry/persons/{p}/reveal", {"reason": "核查身份信息"}),
        ("post", f"/api/v1/registry/persons/{p}/permits", {"number": "X1234567", "issue_date": "2024-01-01",
                                                           "expiry_date": "2027-01-01", "condition": "study"}),
        ("get", f"/api/v1/registry/houses/{h}", None),
        ("patch", f"/api/v1/registry/houses/{h}", {"version": 1, "address": "改"}),
        ("post", f"/api/v1/registry/houses/{h}/rentals", {"landlord_name": "某", "start_date": "2024-01-01"}),
        ("get", f"/api/v1/registry/organisations/{o}", None),
        ("get", f"/api/v1/registry/duplicates/{d}/preview", None),
        ("post", f"/api/v1/registry/duplicates/{d}/merge", {"keep_id": p}),
        ("post", f"/api/v1/registry/duplicates/{d}/dismiss", {}),
        ("get", f"/registry/persons/{p}/", None),
        ("get", f"/registry/houses/{h}/", None),
        ("get", f"/registry/houses/{h}/register/", None),
        ("get", f"/registry/organisations/{o}/", None),
    ]


def _call(client, method, url, body):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=body or {}, content_type="application/json")


def test_other_jurisdiction_is_404_on_every_endpoint(world, users):
    from gridgov.registry.models import Person

    client = client_for(users["street_a"])
    before = list(Person.objects.order_by("pk").values_list("pk", "version", "grid_code", "status"))
    for method, url, body in _endpoints(world["b"]):
        r = _call(client, method, url, body)
        assert r.status_code == 404, (method, url, r.status_code, r.content[:200])
    assert list(Person.objects.order_by("pk").values_list("pk", "version", "grid_code", "status")) == before
    assert not AuditEvent.objects.filter(action="REVEAL", outcome="success").exists()
    # and in their own jurisdiction the same calls work (a reveal needs the capability: street centre has it)
    own = _endpoints(world["a"])
    for method, url, body in [own[i] for i in (0, 1, 4, 5, 6, 7, 10, 11)]:
        r = _call(client, method, url, body)
        assert r.status_code in (200, 201), (method, url, r.status_code, r.content[:300])


def test_the_404_sweep_covers_every_registry_operation_on_one_object():
    """A new operation on a person, house, organisation or duplicate must join ``_endpoints``."""
    import re

    from gridgov.api import api

    schema = api.get_openapi_schema(path_prefix="")
    operations = {(m, p) for p, methods in schema["paths"].items() if p.startswith("/registry/")
                  and re.search(r"\{(person|house|org|candidate)_id\}", p) for m in methods}
    world = {"person": _Pk(101), "house": _Pk(202), "dup": _Pk(303), "org": _Pk(404)}
    names = {"101": "{person_id}", "202": "{house_id}", "303": "{candidate_id}", "404": "{org_id}"}
    swept = {(m, re.sub(r"\b(101|202|303|404)\b", lambda g: names[g.group(1)], u.removeprefix("/api/v1")))
             for m, u, _ in _endpoints(world) if u.startswith("/api/v1/")}
    assert operations == swept, operations ^ swept


class _Pk:
    def __init__(self, pk):
        self.pk = pk


def test_lists_only_show_the_jurisdiction(world, users):
    client = client_for(users["street_b"])
    for url in ("/api/v1/registry/persons", "/api/v1/registry/houses", "/api/v1/registry/organisations",
                "/api/v1/registry/permits/expiring", "/api/v1/registry/duplicates"):
        items = client.get(url).json()["items"]
        assert items, url
        codes = {i.get("grid_code") or i.get("person", {}).get("grid_code") for i in items}
        assert all(c.startswith(world["b"]["house"].grid_code[:9]) for c in codes), (url, codes)
    district = client_for(users["district"]).get("/api/v1/registry/persons?limit=100").json()["items"]
    assert len(district) == 4


def test_missing_capability_is_403(world, users):
    client = client_for(users["auditor"])
    assert client.get("/api/v1/registry/persons").status_code == 403
    assert client.get(f"/api/v1/registry/persons/{world['a']['person'].pk}").status_code == 403
    assert client.get("/registry/").status_code == 403


def test_no_full_identity_number_in_any_non_reveal_response(world, users):
    client = client_for(users["district"])
    p = world["a"]["person"]
    urls = ["/api/v1/registry/persons", f"/api/v1/registry/persons?q={ident(1)}",
            f"/api/v1/registry/persons?q={ident(1)[-4:]}", f"/api/v1/registry/persons/{p.pk}",
            f"/api/v1/registry/houses/{world['a']['house'].pk}", "/api/v1/registry/houses",
            "/api/v1/registry/permits/expiring", "/api/v1/registry/duplicates",
            f"/api/v1/registry/duplicates/{world['a']['dup'].pk}/preview", "/api/v1/registry/organisations",
            "/registry/", f"/registry/?q={ident(1)}", f"/registry/persons/{p.pk}/",
            f"/registry/houses/{world['a']['house'].pk}/", "/registry/organisations/"]
    for url in urls:
        r = client.get(url, follow=True)
        assert r.status_code == 200, url
        assert all(not FULL_ID.search(u.encode()) for u, _ in r.redirect_chain), url
        assert not FULL_ID.search(r.content), url
        assert b"13912345678" not in r.content, url
    assert len(client.get(f"/api/v1/registry/persons?q={ident(1)}").json()["items"]) == 1
    page = client.get(f"/registry/?q={ident(1)}", follow=True)
    assert p.name.encode() in page.content and b"340102********0015" in page.content
    # exports: every sheet's XML
    for url in ("/api/v1/registry/persons/export.xlsx", "/api/v1/registry/houses/export.xlsx",
                "/api/v1/registry/organisations/export.xlsx"):
        r = client.get(url)
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            for name in z.namelist():
                assert not FULL_ID.search(z.read(name)), (url, name)
    assert AuditEvent.objects.filter(action="EXPORT").count() == 3
    # errors do not echo numbers either
    r = client.post("/api/v1/registry/persons", data={"identity_number": ident(1), "name": "重复",
                                                      "population_type": "02",
                                                      "house_id": world["a"]["house"].pk},
                    content_type="application/json")
    assert r.status_code in (403, 409) and not FULL_ID.search(r.content)


def test_reveal_needs_capability_and_reason_and_is_audited(world, users, make_user):
    p = world["a"]["person"]
    worker = client_for(users["worker_a"])
    assert worker.post(f"/api/v1/registry/persons/{p.pk}/reveal", data={"reason": "核查身份"},
                       content_type="application/json").status_code == 403
    district = client_for(users["district"])
    r = district.post(f"/api/v1/registry/persons/{p.pk}/reveal", data={"reason": "短"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "reason"
    assert not AuditEvent.objects.filter(action="REVEAL", outcome="success").exists()
    r = district.post(f"/api/v1/registry/persons/{p.pk}/reveal", data={"reason": "协查通报核实身份"},
                      content_type="application/json")
    assert r.status_code == 200 and r.json()["number"] == ident(1)
    event = AuditEvent.objects.get(action="REVEAL", outcome="success")
    assert event.reason == "协查通报核实身份" and event.object_id == str(p.pk) and event.actor_username == "district"
    assert ident(1) not in str(event.changes)
    # the page's reveal form
    page = district.post(f"/registry/persons/{p.pk}/", data={"reason": "上门核查需要"})
    assert page.status_code == 200 and ident(1).encode() in page.content
    assert "no-store" in page["Cache-Control"]
    assert AuditEvent.objects.filter(action="REVEAL", outcome="success").count() == 2


def test_person_detail_read_is_audited(world, users):
    p = world["a"]["person"]
    client_for(users["street_a"]).get(f"/api/v1/registry/persons/{p.pk}")
    assert AuditEvent.objects.filter(action="READ", object_type="registry.person", object_id=str(p.pk)).exists()


def test_register_through_api_validates_and_forbids_extra_fields(world, users):
    client = client_for(users["street_a"])
    h = world["a"]["house"].pk
    wrong = ident(9)[:17] + ("1" if ident(9)[17] == "0" else "0")
    bad = client.post("/api/v1/registry/persons", data={"identity_number": wrong, "name": "新人",
                                                        "population_type": "02", "house_id": h},
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "identity_number"
    extra = client.post("/api/v1/registry/persons", data={"name": "新人", "population_type": "02", "house_id": h,
                                                          "grid_code": "310101001001001", "status": "x"},
                        content_type="application/json")
    assert extra.status_code == 422
    ok = client.post("/api/v1/registry/persons", data={"identity_number": ident(9), "name": "新人",
                                                       "population_type": "02", "house_id": h},
                     content_type="application/json")
    assert ok.status_code == 201 and ok.json()["person"]["document_masked"].count("*") == 8


def test_list_endpoints_have_a_query_budget(world, users, django_assert_max_num_queries, houses, person_data):
    actor = users["street_a"]
    for i in range(30):
        services.person_register(actor=actor, data=person_data(100 + i), house_id=houses["a2_1"].pk)
    client = client_for(users["district"])
    client.get("/api/v1/registry/persons")  # warm the session
    for url in ("/api/v1/registry/persons?limit=100", "/api/v1/registry/houses?limit=100",
                "/api/v1/registry/organisations?limit=100", "/api/v1/registry/permits/expiring?limit=100",
                "/api/v1/registry/duplicates?limit=100"):
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200


def test_pagination_is_capped(world, users):
    client = client_for(users["district"])
    assert client.get("/api/v1/registry/persons?limit=100000").status_code == 422


def test_mobile_register_page(world, users):
    client = client_for(users["worker_a"])
    h = world["a"]["house"]
    page = client.get(f"/registry/houses/{h.pk}/register/")
    assert page.status_code == 200 and b"register-mobile" in page.content
    bad = client.post(f"/registry/houses/{h.pk}/register/", data={"name": "路人", "identity_number": "123",
                                                                  "population_type": "02"})
    assert bad.status_code == 200 and b"error-identity_number" in bad.content
    ok = client.post(f"/registry/houses/{h.pk}/register/", data={"name": "路人", "identity_number": ident(60),
                                                                 "population_type": "02", "relation": "99"})
    assert ok.status_code == 200 and b"register-ok" in ok.content
    assert not FULL_ID.search(ok.content)


def test_search_page_and_nav(world, users):
    client = client_for(users["street_a"])
    r = client.get("/registry/?q=" + world["a"]["person"].name)
    assert r.status_code == 200 and world["a"]["person"].name.encode() in r.content
    assert "实有人口".encode() in r.content  # zh-hans is the default language
    assert b'href="/registry/"' in client.get("/registry/organisations/").content
