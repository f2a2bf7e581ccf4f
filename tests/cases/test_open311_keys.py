"""Open311 POST requests.{fmt}: a case and its photo are one unit, each case names the api_key that
submitted it, and a key's hourly limit answers 429 in the spec's error array with Retry-After."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.utils import timezone

from gridgov.cases import selectors, services
from gridgov.cases.models import Attachment, Case, CaseEvent, Open311Key
from gridgov.core.errors import FieldError
from gridgov.core.models import AuditEvent
from tests.cases.test_open311 import LAT, LON, _assert_error, _upload, post

pytestmark = pytest.mark.urls("tests.cases.urls_open311")
GOOD = {"service_code": "E0102", "lat": LAT, "long": LON, "description": "路口暴露垃圾"}


@pytest.fixture
def keys(city, taxonomy, departments):
    """name -> (key, raw api_key): 'app' (default limit), 'two' (2 per hour), 'free' (0 = unlimited)."""
    out = {}
    for name, per_hour in (("app", None), ("two", 2), ("free", 0)):
        out[name] = services.open311_key_create(name=name, max_per_hour=per_hour)
    return out


def _rows() -> dict[str, int]:
    return {"cases": Case.objects.count(), "events": CaseEvent.objects.count(),
            "attachments": Attachment.objects.count(),
            "audit": AuditEvent.objects.filter(object_type__in=("case", "case_attachment")).count()}


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _description(body, fmt) -> str:
    return body[0]["description"] if fmt == "json" else body.find("error/description").text


def _code(body, fmt) -> str:
    return str(body[0]["code"]) if fmt == "json" else body.find("error/code").text


# ----------------------------------------------------------------------------- all or nothing

@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("content, reason", [(b"not an image", "只支持 JPEG、PNG 或 WebP 图片"),
                                             (b"\xff\xd8\xff\xe0" + b"\0" * services.MAX_UPLOAD, "10 MB")])
def test_a_refused_photo_creates_no_case(keys, media, fmt, content, reason):
    _, raw = keys["app"]
    before = _rows()
    r, body = post(fmt, api_key=raw, **GOOD, files={"media": SimpleUploadedFile("x.jpg", content, "image/jpeg")})
    _assert_error(r, body, fmt, 400)
    assert reason in _description(body, fmt) and _description(body, fmt).startswith("media：")
    assert _rows() == before
    assert _files(media) == []
    # the retry with a good photo makes exactly one case
    r, body = post(fmt, api_key=raw, **GOOD, files={"media": _upload()})
    assert r.status_code == 201, r.content
    assert _rows() == {k: v + 1 for k, v in before.items()} | {"audit": before["audit"] + 2}
    assert len(_files(media)) == 2  # the original and the metadata-free copy


def test_a_failure_after_the_photo_files_are_written_leaves_no_case_and_no_file(keys, media, monkeypatch):
    """A photo that passes the checks but whose storing fails late (here its audit row): the case
    goes too, and the two files already on disk are removed."""
    _, raw = keys["app"]
    real = services.audit_write

    def failing(action, **kw):
        if kw.get("object_type") == "case_attachment":
            assert len(_files(media)) == 2  # the files are written by now
            raise RuntimeError("disk full")
        return real(action, **kw)

    monkeypatch.setattr(services, "audit_write", failing)
    before = _rows()
    with pytest.raises(RuntimeError, match="disk full"):
        post("json", api_key=raw, **GOOD, files={"media": _upload()})
    assert _rows() == before
    assert _files(media) == []


# ----------------------------------------------------------------------------- the key on the case

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_each_case_names_the_key_that_submitted_it(keys, fmt):
    key, raw = keys["app"]
    other, other_raw = keys["free"]
    r, body = post(fmt, api_key=raw, **GOOD)
    assert r.status_code == 201, r.content
    request_id = body[0]["service_request_id"] if fmt == "json" else body.find("request/service_request_id").text
    case = Case.objects.get(pk=int(request_id))
    assert case.open311_key == key
    assert post(fmt, api_key=other_raw, **GOOD)[0].status_code == 201
    assert list(key.cases.all()) == [case] and other.cases.count() == 1
    audit = AuditEvent.objects.get(object_type="case", object_id=str(case.pk), action="CREATE")
    assert audit.changes["open311_key"] == f"app ({key.prefix}…)"
    assert raw not in json.dumps(audit.changes, ensure_ascii=False)
    with pytest.raises(ProtectedError):  # revoked, never deleted: the record of who submitted stays
        key.delete()


def test_case_report_refuses_a_key_off_the_open311_channel_or_revoked(keys):
    key, _ = keys["app"]
    report = {"actor": None, "system": True, "category_code": "E0102", "description": "x", "lon": LON, "lat": LAT}
    with pytest.raises(FieldError) as exc:
        services.case_report(**report, channel=Case.Channel.API, open311_key=key)
    assert exc.value.field == "open311_key"
    services.open311_key_revoke(key_id=key.pk)
    key.refresh_from_db()
    with pytest.raises(FieldError) as exc:
        services.case_report(**report, channel=Case.Channel.OPEN311, open311_key=key)
    assert exc.value.reason_code == "revoked"
    assert Case.objects.count() == 0


# ----------------------------------------------------------------------------- the hourly limit

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_third_request_in_an_hour_is_refused_with_429_and_retry_after(keys, fmt):
    key, raw = keys["two"]
    for _ in range(2):
        assert post(fmt, api_key=raw, **GOOD)[0].status_code == 201
    before = _rows()
    r, body = post(fmt, api_key=raw, **GOOD)
    _assert_error(r, body, fmt, 429)
    assert _code(body, fmt) == "429"
    assert _description(body, fmt) == "api_key 调用超限：每小时最多 2 次"
    assert 1 <= int(r["Retry-After"]) <= 3600
    assert _rows() == before
    # another key is not affected
    _, other = keys["app"]
    assert post(fmt, api_key=other, **GOOD)[0].status_code == 201
    # an hour later the key's cases have left the window
    Case.objects.filter(open311_key=key).update(reported_at=timezone.now() - timedelta(minutes=61))
    assert post(fmt, api_key=raw, **GOOD)[0].status_code == 201
    assert key.cases.count() == 3


def test_retry_after_is_when_the_window_frees_a_place(keys):
    key, raw = keys["two"]
    for _ in range(2):
        assert post(api_key=raw, **GOOD)[0].status_code == 201
    older = key.cases.order_by("id").first()
    Case.objects.filter(pk=older.pk).update(reported_at=timezone.now() - timedelta(minutes=50))
    r, _ = post(api_key=raw, **GOOD)
    assert r.status_code == 429
    assert 9 * 60 <= int(r["Retry-After"]) <= 10 * 60  # the older case leaves the hour in 10 minutes
    # once it has left, one place is free: one more is accepted, the next refused again
    Case.objects.filter(pk=older.pk).update(reported_at=timezone.now() - timedelta(minutes=61))
    assert post(api_key=raw, **GOOD)[0].status_code == 201
    assert post(api_key=raw, **GOOD)[0].status_code == 429


def test_zero_per_hour_never_limits(keys):
    key, raw = keys["free"]
    for _ in range(4):
        assert post(api_key=raw, **GOOD)[0].status_code == 201
    assert key.cases.count() == 4 and selectors.open311_key_retry_after(key) is None
    Open311Key.objects.filter(pk=key.pk).update(max_per_hour=4)  # the same cases under a limit of 4
    key.refresh_from_db()
    assert selectors.open311_key_retry_after(key) is not None
    assert post(api_key=raw, **GOOD)[0].status_code == 429


def test_the_limit_counts_only_this_keys_cases_of_the_last_hour(keys, make_case):
    key, raw = keys["two"]
    for _ in range(3):
        make_case("reported", category="E0102")  # staff cases (no key) do not count
    assert post(api_key=raw, **GOOD)[0].status_code == 201
    assert selectors.open311_key_retry_after(key) is None
    assert post(api_key=raw, **GOOD)[0].status_code == 201
    assert selectors.open311_key_retry_after(key) is not None


def test_open311_key_cli_per_hour(db, capsys):
    from gridgov import cli

    def run(*argv):
        return cli.main(["open311-key", *argv]), capsys.readouterr()

    code, out = run("create", "partner", "--per-hour", "30")
    assert code == 0 and selectors.open311_key_lookup(out.out.strip()).max_per_hour == 30
    assert "每小时 30 次" in out.err
    code, out = run("create", "default")
    assert code == 0 and selectors.open311_key_lookup(out.out.strip()).max_per_hour == 600
    code, out = run("create", "unlimited", "--per-hour", "0")
    assert code == 0 and selectors.open311_key_lookup(out.out.strip()).max_per_hour == 0
    assert "不限每小时次数" in out.err
    code, out = run("create", "bad", "--per-hour", "-1")
    assert code == 2 and "max_per_hour" in out.err and out.out == ""
    code, out = run("revoke", "1", "--per-hour", "5")
    assert code == 2
    assert Open311Key.objects.count() == 3 and not Open311Key.objects.filter(name="bad").exists()


def test_admin_lists_each_keys_cases_and_offers_no_delete(keys, client, django_user_model):
    _, raw = keys["two"]
    for _ in range(2):
        post(api_key=raw, **GOOD)
    admin = django_user_model.objects.create_superuser("root", password="x" * 12)
    client.force_login(admin)
    r = client.get("/admin/cases/open311key/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    counts = dict(re.findall(r'<th class="field-name"><a [^>]*>([^<]*)</a></th>.*?'
                             r'<td class="field-case_count">(\d+)</td>', r.content.decode()))
    assert counts == {"app": "0", "two": "2", "free": "0"}
    key, _ = keys["two"]
    assert client.get(f"/admin/cases/open311key/{key.pk}/delete/").status_code == 403


@pytest.mark.parametrize("fmt", ["json"])
def test_thirty_concurrent_posts_store_exactly_the_limit(threaded_db, city, taxonomy, departments, fmt):
    """Issue 15, finding 2: the check and the insert are one unit. 30 posts at once with a key of
    10/hour: exactly 10 cases stored, 20 answered 429 (the spec's error array, Retry-After)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.test import Client

    key, raw = services.open311_key_create(name="burst", max_per_hour=10)
    n = 30
    barrier = threading.Barrier(n)

    def attempt(_):
        try:
            barrier.wait(timeout=60)
            r = Client().post(f"/open311/v2/requests.{fmt}", {"api_key": raw, **GOOD})
            return r.status_code, r.get("Retry-After")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(attempt, range(n)))
    statuses = sorted(s for s, _ in results)
    assert statuses == [201] * 10 + [429] * 20, results
    assert Case.objects.filter(open311_key=key).count() == 10
    assert all(3500 <= int(ra) <= 3600 for s, ra in results if s == 429), results
