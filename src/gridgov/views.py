from django.shortcuts import render

from gridgov.core.pages import page_view


@page_view
def home(request):
    return render(request, "home.html")
