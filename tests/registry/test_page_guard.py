"""The register's pages refuse through the one page guard: outside the jurisdiction the 404 page,
without the capability the 403 page, both with the navigation and still never cached."""

from __future__ import annotations

from django.test import Client

from tests.refusal_pages import AUDIT, GRID_WORKER, POLICE, STREET_CENTRE, assert_refusal
from tests.registry.conftest import client_for


def test_a_house_in_another_street_is_the_404_page(users, houses):
    client = client_for(users["street_b"])
    r = client.get(f"/registry/houses/{houses['a1_1'].pk}/")
    # a street centre: its navigation includes care (the area figures, command.view)
    assert_refusal(r, 404, STREET_CENTRE)
    assert "no-store" in r["Cache-Control"]
    assert client.get(f"/registry/houses/{houses['b_1'].pk}/").status_code == 200


def test_registering_at_a_house_read_only_through_search_scope_is_the_404_page(users, houses):
    # worker_a reads street A (search scope) but writes only in grid A1
    client = client_for(users["worker_a"])
    assert client.get(f"/registry/houses/{houses['a2_1'].pk}/").status_code == 200
    assert_refusal(client.get(f"/registry/houses/{houses['a2_1'].pk}/register/"), 404, GRID_WORKER)
    assert client.get(f"/registry/houses/{houses['a1_1'].pk}/register/").status_code == 200


def test_the_import_page_without_registry_edit_is_the_403_page(users):
    r = client_for(users["police"]).get("/registry/import/")
    assert_refusal(r, 403, POLICE)
    assert "no-store" in r["Cache-Control"]
    assert client_for(users["street_a"]).get("/registry/import/").status_code == 200


def test_the_register_without_registry_view_is_the_403_page(users):
    assert_refusal(client_for(users["auditor"]).get("/registry/"), 403, [AUDIT])


def test_anonymous_is_sent_to_the_login_page(users, houses):
    r = Client().get(f"/registry/houses/{houses['a1_1'].pk}/")
    assert r.status_code == 302 and r["Location"] == f"/accounts/login/?next=/registry/houses/{houses['a1_1'].pk}/"
