from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gridgov.accounts.scope import require_capability, user_prefixes
from gridgov.core.errors import Forbidden
from gridgov.geo import selectors
from gridgov.navigation import navigation_for


@login_required
def map_view(request):
    try:
        require_capability(request.user, "geo.view")
    except Forbidden:
        return render(request, "403.html", {"nav": navigation_for(request.user)}, status=403)
    return render(request, "geo/map.html", {
        "nav": navigation_for(request.user),
        "api_base": "/api/v1/geo",
        "jurisdictions": user_prefixes(request.user, "geo.view"),
        "synthetic": selectors.is_demo_data(),
    })
