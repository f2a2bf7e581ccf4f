"""The desk's demo data: a day's requests in every route, by the demo desk officer, renewals due,
referrals and two projects — and the demo desk officer finds them on the desk page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_desk_demo_has_every_route_and_state(demo):
    from gridgov.accounts.models import User
    from gridgov.desk import selectors
    from gridgov.desk.models import DeskRequest, PermitReminder, ServiceReferral, SocialWorkProject

    officer = User.objects.get(username=demo["desk_officer"])
    routes = set(DeskRequest.objects.values_list("route", flat=True))
    assert routes == {"case", "registration", "permit", "referral", "answered"}
    assert set(DeskRequest.objects.values_list("status", flat=True)) == {"open", "closed"}
    assert DeskRequest.objects.filter(escalated_at__isnull=False).exists()
    assert DeskRequest.objects.exclude(satisfaction="").exists()
    assert set(DeskRequest.objects.values_list("officer__username", flat=True)) == {demo["desk_officer"]}
    assert DeskRequest.objects.filter(received_at__date__gte=timezone.localdate() - timedelta(days=1)).exists()
    assert PermitReminder.objects.count() >= 8
    assert ServiceReferral.objects.filter(status="completed").exists()
    assert SocialWorkProject.objects.count() == 2
    figures = selectors.desk_figures(officer, "")
    assert figures["received_today"] > 0 and figures["open"] > 0
    c = Client()
    c.force_login(officer)
    page = c.get("/desk/").content.decode()
    assert "今日受理" in page and "SL" in page
