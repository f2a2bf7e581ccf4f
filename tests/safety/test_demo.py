"""The safety demo loader: history, both origins, planted outbreaks raise warnings, the guard."""

from datetime import timedelta

from gridgov.safety.models import Alert, Hotspot, Incident


def test_demo_has_three_years_both_origins_and_warnings(demo):
    first = Incident.objects.order_by("week_start").values_list("week_start", flat=True).first()
    last = Incident.objects.order_by("-week_start").values_list("week_start", flat=True).first()
    assert last - first >= timedelta(weeks=3 * 52)
    assert Incident.objects.filter(origin="discovered").exists()
    assert Incident.objects.filter(origin="reported").count() > 5 * Incident.objects.filter(origin="discovered").count()
    red = Alert.objects.filter(level__gte=3, week_start=last)
    assert red.filter(category__code="02").exists()  # the planted burglary outbreak
    print(Alert.objects.count(), Hotspot.objects.count(), Incident.objects.count())
