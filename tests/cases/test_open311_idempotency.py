"""Open311 double submit: an ``Idempotency-Key`` header (or a ``device_id`` with the same payload
within the window) makes a retry return the first result instead of a second case."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gridgov.cases import services
from gridgov.cases.models import Attachment, Case
from tests.cases.images import jpeg_with_gps

pytestmark = pytest.mark.urls("tests.cases.urls_open311")
BASE = "/open311/v2"
LON, LAT = 121.4737, 31.2304


@pytest.fixture
def api_key(city, taxonomy, departments):
    _, raw = services.open311_key_create(name="citizen app")
    return raw


def _post(data, key=None, fmt="json", photo=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    files = {}
    if photo is not None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        files["media"] = SimpleUploadedFile("p.jpg", photo, content_type="image/jpeg")
    return Client().post(f"{BASE}/requests.{fmt}", {**data, **files}, headers=headers)


def _report(api_key, **extra):
    return {"api_key": api_key, "service_code": "E0102", "lat": LAT, "long": LON, "description": "垃圾堆放",
            **extra}


def test_the_same_idempotency_key_returns_the_first_result(api_key, media):
    photo = jpeg_with_gps()
    first = _post(_report(api_key), key="retry-7f3a", photo=photo)
    assert first.status_code == 201, first.content
    again = _post(_report(api_key), key="retry-7f3a", photo=photo)
    assert again.status_code == 201
    assert json.loads(again.content) == json.loads(first.content)  # same id, same token
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1
    # another key: a second case
    assert _post(_report(api_key), key="retry-other").status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.parametrize("change", [{"description": "别的事"}, {"service_code": "E0101"}, {"lat": "31.2310"}])
def test_a_different_payload_under_the_same_key_is_refused(api_key, change):
    assert _post(_report(api_key), key="k-1").status_code == 201
    r = _post(_report(api_key, **change), key="k-1")
    assert r.status_code == 409
    body = json.loads(r.content)
    assert body[0]["code"] == 409 and "Idempotency-Key" in body[0]["description"]
    assert Case.objects.count() == 1


def test_a_different_photo_under_the_same_key_is_refused(api_key, media):
    assert _post(_report(api_key), key="k-2", photo=jpeg_with_gps()).status_code == 201
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, "JPEG")
    r = _post(_report(api_key), key="k-2", photo=buf.getvalue())
    assert r.status_code == 409 and Case.objects.count() == 1 and Attachment.objects.count() == 1


def test_keys_are_per_api_key(api_key):
    _, other = services.open311_key_create(name="second app")
    a = _post(_report(api_key), key="shared")
    b = _post(_report(other), key="shared")
    assert a.status_code == b.status_code == 201
    assert json.loads(a.content)[0]["service_request_id"] != json.loads(b.content)[0]["service_request_id"]


def test_a_bad_idempotency_key_is_a_clear_400(api_key):
    r = _post(_report(api_key), key="x" * 256)
    assert r.status_code == 400 and "Idempotency-Key" in json.loads(r.content)[0]["description"]
    assert Case.objects.count() == 0


def test_device_id_and_the_same_payload_is_one_case(api_key):
    first = _post(_report(api_key, device_id="phone-123"))
    again = _post(_report(api_key, device_id="phone-123"))
    assert first.status_code == again.status_code == 201
    assert json.loads(again.content) == json.loads(first.content)
    assert Case.objects.count() == 1
    # another payload from the same device, or the same payload from another device: new cases
    assert _post(_report(api_key, device_id="phone-123", description="另一处")).status_code == 201
    assert _post(_report(api_key, device_id="phone-456")).status_code == 201
    assert Case.objects.count() == 3


def test_xml_replay(api_key):
    first = _post(_report(api_key), key="xml-1", fmt="xml")
    again = _post(_report(api_key), key="xml-1", fmt="xml")
    assert first.status_code == again.status_code == 201 and first.content == again.content
