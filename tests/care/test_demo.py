"""The care demo loader: realistic caseloads over register persons, deterministic by seed."""

from __future__ import annotations

from datetime import date

from gridgov.care.models import Alert, Contact, Enrolment, JointTask, Provider


def _persons(make_person, n=400):
    for i in range(n):
        birth = date(2012, 1, 1 + i % 28) if i % 8 == 0 else date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
        make_person(f"居民{i}", grid_code=f"310101002001{i % 3 + 1:03d}", birth=birth)


def test_demo_loader_enrols_register_persons(db, roles, make_person):
    from gridgov.demo import care

    _persons(make_person)
    result = care.load(scale="tiny", seed=3)
    assert result == {"social_worker": [("310101", "capture")]}
    counts = {p: Enrolment.objects.filter(programme=p).count() for p, _ in Enrolment._meta.get_field(
        "programme").choices}
    assert all(n >= 6 for n in counts.values()), counts
    assert counts["mental_health"] >= counts["corrections"]
    assert Enrolment.objects.filter(programme__in=["youth", "street_children"], minor_at_start=False).count() == 0
    assert Contact.objects.filter(status="completed").exists() and Contact.objects.filter(status="overdue").exists()
    assert Alert.objects.filter(kind="missed_report").exists()
    assert JointTask.objects.count() == 3 * counts["street_children"]
    assert Provider.objects.count() == 6
    assert Enrolment.objects.filter(sealed=True).count() <= 1
    first = sorted(Enrolment.objects.values_list("programme", "person_id", "level", "start_date"))
    care.reset()
    assert not Enrolment.objects.exists()
    care.load(scale="tiny", seed=3)
    again = sorted(Enrolment.objects.values_list("programme", "person_id", "level", "start_date"))
    assert first == again


def test_demo_loader_without_persons_does_nothing(db, roles):
    from gridgov.demo import care

    assert care.load(scale="tiny", seed=1) == {"social_worker": [("310101", "capture")]}
    assert not Enrolment.objects.exists()
