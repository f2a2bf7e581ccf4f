from django.conf import settings


def current_jurisdiction(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"gridgov_env": settings.GRIDGOV_ENV}
    memberships = user.active_memberships()
    return {"gridgov_env": settings.GRIDGOV_ENV, "memberships": memberships,
            "primary_membership": user.primary_membership()}
