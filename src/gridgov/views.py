from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gridgov.navigation import navigation_for


@login_required
def home(request):
    return render(request, "home.html", {"nav": navigation_for(request.user)})
