from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from gridgov import views
from gridgov.api import api

# An unknown address or a refusal outside a page view answers the same pages as page_view.
handler403 = "gridgov.core.pages.forbidden"
handler404 = "gridgov.core.pages.not_found"
handler500 = "gridgov.core.pages.server_error"  # a database fault -> 503 with Retry-After

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("gridgov.accounts.urls")),
    path("audit/", include("gridgov.accounts.audit_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin signs in through gridgov's login page (lockout + audit), never its own form.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("geo/", include("gridgov.geo.urls")),
    path("registry/", include("gridgov.registry.urls")),
    path("cases/", include("gridgov.cases.urls")),
    path("safety/", include("gridgov.safety.urls")),
    path("care/", include("gridgov.care.urls")),
    path("quality/", include("gridgov.quality.urls")),
    path("prevention/", include("gridgov.prevention.urls")),
    path("desk/", include("gridgov.desk.urls")),
    path("command/", include("gridgov.command.urls")),
    path("open311/v2/", include("gridgov.cases.open311.urls")),
]
