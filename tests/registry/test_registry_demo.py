"""The register's demo loader: Shanghai-like mix, valid numbers, deterministic, resettable."""

from collections import Counter

from gridgov.core.idnumber import validate_identity_number
from gridgov.registry.identity import blind_index
from gridgov.registry.models import (
    House,
    Organisation,
    Person,
    RentalRegistration,
    Residence,
    ResidencePermit,
)


def _load(seed=1):
    from gridgov.demo import registry

    return registry.load(scale="tiny", seed=seed)


def test_tiny_demo_mix(city):
    from gridgov.geo.models import Grid

    assert _load() == {}
    n = Person.objects.count()
    assert 2500 <= n <= 3500
    assert set(House.objects.values_list("grid_code", flat=True)) == set(Grid.objects.values_list("code", flat=True))
    pop = Counter(Person.objects.values_list("population_type", flat=True))
    assert 0.35 < pop["02"] / n < 0.45 and pop["03"] > 0
    for number, h, _grid in Person.objects.exclude(identity_number=None).values_list("identity_number", "id_hmac",
                                                                                   "grid_code"):
        assert validate_identity_number(number) == number and blind_index(number) == h
    floating = Person.objects.filter(population_type="02").values_list("identity_number", flat=True)
    assert all(not x.startswith("31") for x in floating)
    assert len({x[:2] for x in floating}) >= 10
    assert Person.objects.filter(household_separated=True).exists()
    assert Residence.objects.filter(end_date__isnull=True).count() == n
    assert ResidencePermit.objects.exists() and RentalRegistration.objects.exists() and Organisation.objects.exists()
    assert House.objects.filter(rented=True).count() == RentalRegistration.objects.count()
    # houses' points lie in their grid
    from gridgov.geo.selectors import locate_codes

    rows = list(House.objects.values_list("lon", "lat", "grid_code")[:300])
    assert locate_codes([r[0] for r in rows], [r[1] for r in rows]) == [r[2] for r in rows]


def test_demo_is_deterministic_and_resets(city):
    from gridgov.demo import registry

    _load(seed=3)
    first = list(Person.objects.order_by("pk").values_list("name", "identity_number", "grid_code")[:200])
    registry.reset()
    assert not Person.objects.exists() and not House.objects.exists()
    _load(seed=3)
    assert list(Person.objects.order_by("pk").values_list("name", "identity_number", "grid_code")[:200]) == first
