import pytest


@pytest.fixture
def city(db, roles):
    from gridgov.demo.geo import load_demo_city

    return load_demo_city(scale="tiny", seed=1)


@pytest.fixture
def demo(city):
    """The tiny demo city with the safety demo data (incidents, warnings, hotspots)."""
    from gridgov.demo import safety

    return safety.load(scale="tiny", seed=1, progress=lambda *a: None)
