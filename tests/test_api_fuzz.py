"""Schemathesis over the whole OpenAPI schema, as real users of several roles: generated
requests (valid and invalid) never produce a server error, and every response conforms to the
schema's status codes and content types where declared.

GET operations only: write operations have their own tests per module; fuzzing them here would
need a fresh database per example."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from gridgov.api import api
from gridgov.wsgi import application

# The served schema needs a signed-in user; the same document, built in process:
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1")).include(method="GET")
schema.app = application

ROLE_USERS = {"district_centre": "district", "grid_worker": "grid", "social_worker": "social",
              "auditor": "auditor"}


@pytest.fixture
def keep_test_connection():
    """Schemathesis calls the WSGI app directly, which fires request_started/finished; like
    Django's own test client, keep those from closing the connection that holds the test's
    transaction (PostgreSQL would lose it; SQLite in memory never closes)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """The demo city and users, committed for this module (the examples run in the test's
    transaction, the data must outlive them), and removed afterwards: tests in other modules
    count rows of an otherwise empty database."""
    from gridgov.accounts import services
    from gridgov.accounts.models import User
    from gridgov.demo.loaders import load_all, reset_all

    with django_db_blocker.unblock():
        load_all(scale="tiny", seed=1, force=True)
        made = {role: services.token_create(user=User.objects.get(username=username), name="fuzz")[1]
                for role, username in ROLE_USERS.items()}
    yield made
    with django_db_blocker.unblock():
        reset_all(users=True)


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_for_any_role(case, tokens, keep_test_connection):
    for token in tokens.values():
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=[not_a_server_error])
