"""Issue 15, finding 5: a database fault answers 503 with Retry-After, never Django's HTML 500:
the JSON error envelope under /api/v1/, the GeoReport error array under /open311/, a plain Chinese
page elsewhere. PostgreSQL: the test's connection is terminated from a second connection
(pg_terminate_backend); SQLite: the connection points at a database file that cannot be opened."""

from __future__ import annotations

import json
from contextlib import contextmanager
from xml.etree import ElementTree as ET

import pytest
from django.conf import settings
from django.db import close_old_connections, connection, connections
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def database_fault(tmp_path):
    """The next query of this thread's connection fails with an OperationalError."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        s = connection.settings_dict
        with psycopg.connect(host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], password=s["PASSWORD"],
                             dbname=s["NAME"], autocommit=True) as other:
            assert other.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0] is True
        try:
            yield
        finally:
            close_old_connections()  # what Django does when the request ends: drop the broken connection
        return
    conn = connections["default"]
    broken = dict(conn.settings_dict, NAME=str(tmp_path / "no-such-folder" / "db.sqlite3"))
    connections["default"] = conn.__class__(broken, "default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = conn


def test_health_checks_are_on():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.fixture
def signed_in(make_user):
    user = make_user("faulty", ("district_centre", "310101"))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _assert_503(r):
    assert r.status_code == 503, (r.status_code, r.content[:300])
    assert r["Retry-After"].isdigit() and 1 <= int(r["Retry-After"]) <= 60


def test_api_answers_the_json_envelope(signed_in, tmp_path):
    with database_fault(tmp_path):
        r = signed_in.get("/api/v1/cases/categories")
    _assert_503(r)
    assert r["Content-Type"].startswith("application/json")
    assert r.json()["error"]["code"] == "database_unavailable"
    assert r.json()["error"]["details"] == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_the_error_array(tmp_path, fmt):
    with database_fault(tmp_path):
        r = Client(raise_request_exception=False).get(f"/open311/v2/services.{fmt}")
    _assert_503(r)
    if fmt == "json":
        body = json.loads(r.content)
        assert [e["code"] for e in body] == [503] and body[0]["description"]
    else:
        root = ET.fromstring(r.content)
        assert root.tag == "errors" and root.find("error/code").text == "503"


def test_a_page_answers_a_plain_chinese_page(signed_in, tmp_path):
    with database_fault(tmp_path):
        r = signed_in.get("/registry/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    _assert_503(r)
    assert r["Content-Type"].startswith("text/html")
    text = r.content.decode()
    assert "数据库暂时不可用" in text and "Server Error" not in text


def test_the_next_request_is_served_again(signed_in, tmp_path):
    """After the fault the broken connection is dropped at the start of the next request (as
    Django's handler does) and a new one answers."""
    with database_fault(tmp_path):
        assert signed_in.get("/api/v1/cases/categories").status_code == 503
    close_old_connections()
    assert signed_in.get("/api/v1/cases/categories").status_code == 200
