"""Open311 GeoReport v2. The project mounts this at /open311/v2/:
    path("open311/v2/", include("gridgov.cases.open311.urls"))"""

from django.urls import re_path

from gridgov.cases.open311 import views

app_name = "open311"
FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[A-Za-z0-9_-]{1,32})" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/.]{1,32})" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[0-9a-fA-F-]{1,64})" + FMT, views.token_detail, name="token"),
    re_path(r"^media/(?P<token>[0-9a-f]{32})\.(?P<ext>jpg|png|webp)$", views.media, name="media"),
]
