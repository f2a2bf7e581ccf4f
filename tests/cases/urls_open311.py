"""Test URLconf: the project's URLs plus Open311 (the lead adds the same line to gridgov/urls.py)."""

from django.urls import include, path

from gridgov.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("open311/v2/", include("gridgov.cases.open311.urls"))]
