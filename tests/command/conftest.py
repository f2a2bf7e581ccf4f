import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def users(make_user):
    """A street centre of 南京东路 (310101002), another street's centre (310101013), the district
    centre (310101), a grid worker of 310101002 (no command.view) and a city administrator (view only)."""
    return {
        "street": make_user("prj-street", ("street_centre", "310101002")),
        "other": make_user("prj-other", ("street_centre", "310101013")),
        "district": make_user("prj-district", ("district_centre", "310101")),
        "grid": make_user("prj-grid", ("grid_worker", "310101002001")),
        "city": make_user("prj-city", ("city_admin", "31")),
    }


@pytest.fixture
def new_project(users):
    from gridgov.command import project_services

    def _make(actor=None, **fields):
        data = {"title": "综治中心规范化建设", "owner_name": "张明", "owner_unit": "南京东路街道综治中心",
                "area_code": "310101002", "category": "01", "start_date": "2026-01-01", "deadline": "2026-01-10"}
        data.update(fields)
        return project_services.project_create(actor=actor or users["street"], **data)

    return _make
