"""The loaded tiny demo, shared by a module's tests inside one transaction that is rolled back at
the end of the module: nothing is left behind, not even audit rows (which cannot be deleted), so
the tests of other modules that count rows see an untouched database."""

from __future__ import annotations

import pytest
from django.db import transaction


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from gridgov.demo.loaders import DEMO_USERS, load_all

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_all(scale="tiny", seed=1, force=True)
            yield DEMO_USERS
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
