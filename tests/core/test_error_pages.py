"""The 500 page: Chinese, with the navigation; and still Chinese (without the navigation) when the
database is down; a database fault itself answers 503. Django's test client re-raises view exceptions unless told not to."""

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from tests.refusal_pages import nav_entries


def _boom(request):
    raise RuntimeError("a bug in a view")


def _db_down(request):
    raise OperationalError("could not connect to server")


def _ok(request):
    return HttpResponse("ok")


urlpatterns = [
    path("boom/", _boom),
    path("db-down/", _db_down),
    path("", include("gridgov.urls")),
]
handler500 = "gridgov.core.pages.server_error"


@pytest.mark.urls("tests.core.test_error_pages")
@pytest.mark.django_db
def test_a_failing_view_answers_the_chinese_500_page_with_the_navigation(make_user):
    user = make_user("street_user", ("street_centre", "310101001"))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body and 'data-testid="page-500"' in body
    assert "<h1>服务器错误</h1>" in body and "请稍后再试" in body
    assert ("/cases/", "事件") in nav_entries(body)
    assert "a bug in a view" not in body  # no internals on the page
    from gridgov import urls

    assert urls.handler500 == handler500  # the site's own URLconf answers with this page


@pytest.mark.urls("tests.core.test_error_pages")
@pytest.mark.django_db
def test_a_stopped_database_answers_503_in_chinese_on_every_page(make_user, monkeypatch):
    user = make_user("street_user", ("street_centre", "310101001"))
    client = Client(raise_request_exception=False)
    client.force_login(user)

    def refuse(self, *args, **kwargs):
        raise OperationalError("could not connect to server")

    # from here on every database access fails, as with a stopped server: 503 with Retry-After, in
    # Chinese (core.dbfaults), whichever page was asked for
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)
    for url in ("/db-down/", "/boom/"):
        response = client.get(url)
        assert response.status_code == 503 and response["Retry-After"] == "5", url
        assert "数据库暂时不可用" in response.content.decode()
