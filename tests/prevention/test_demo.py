import pytest


@pytest.mark.django_db
def test_demo_networks_in_the_demo_district(city):
    from gridgov.demo import prevention as demo
    from gridgov.prevention.models import (
        Camera,
        CooperationAgreement,
        DefenceMember,
        DefenceTeam,
        Inspection,
        PatrolLog,
        PatrolUnit,
        Venue,
    )

    demo.load(scale="tiny", seed=1)
    assert DefenceTeam.objects.count() >= 20
    assert Venue.objects.count() >= 300
    assert Camera.objects.count() >= 500
    assert CooperationAgreement.objects.count() == 1
    assert PatrolUnit.objects.count() >= 2 and PatrolLog.objects.count() > 20
    assert Inspection.objects.filter(state="rectifying").exists() or Inspection.objects.filter(state="overdue").exists()
    district = Venue.objects.values_list("grid_code", flat=True).first()[:6]
    for model in (DefenceTeam, Venue, Camera):
        assert not model.objects.exclude(grid_code__startswith=district).exists()
    assert DefenceMember.objects.filter(phone__regex=r"^139\d{8}$").count() == DefenceMember.objects.count()
    # deterministic by seed
    before = list(Camera.objects.order_by("code").values_list("code", "lon", "lat")[:20])
    demo.reset()
    assert Camera.objects.count() == 0
    demo.load(scale="tiny", seed=1)
    assert list(Camera.objects.order_by("code").values_list("code", "lon", "lat")[:20]) == before
