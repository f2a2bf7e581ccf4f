from django.shortcuts import render

from gridgov.accounts.scope import require_capability, user_prefixes
from gridgov.core.pages import page_view
from gridgov.geo import selectors


@page_view
def map_view(request):
    require_capability(request.user, "geo.view")
    return render(request, "geo/map.html", {
        "api_base": "/api/v1/geo",
        "jurisdictions": user_prefixes(request.user, "geo.view"),
        "synthetic": selectors.is_demo_data(),
    })
