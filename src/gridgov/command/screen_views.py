"""Thin views of the command screen: the page, its live part (tiles, action list, sub-areas; the
page fetches it every minute) and its map layers (JSON). Each calls one selector of screen.py."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.command import screen
from gridgov.core.errors import NotFound
from gridgov.core.pages import page_view

REFRESH_SECONDS = 60
LEVEL_NAMES = {0: gettext_lazy("no warning"), 1: gettext_lazy("blue"), 2: gettext_lazy("yellow"),
               3: gettext_lazy("orange"), 4: gettext_lazy("red")}


def _context(request, data: dict) -> dict:
    return {**data, "refresh_seconds": REFRESH_SECONDS, "tiles_by_key": screen.tile_map(data["tiles"]),
            "map_i18n": {"open": _("open events"), "overdue": _("overdue"), "hotspot": _("hotspot"),
                         "coldspot": _("coldspot"), "warning": _("warning level"), "screen": _("open its screen"),
                         "events": _("events"), "levels": {str(k): str(v) for k, v in LEVEL_NAMES.items()}}}


@page_view
def my_screen(request):
    """/command/: the screen of the user's own area (the widest ``command.view`` membership)."""
    screen.command_prefixes(request.user)  # 403 without command.view
    code = screen.home_area_code(request.user)
    if code is None:
        raise NotFound("area not found")
    return area_screen(request, code)


def area_screen(request, code: str) -> HttpResponse:
    data = screen.screen(request.user, code)
    return render(request, "command/screen.html", _context(request, data))


@page_view
def area(request, code: str):
    return area_screen(request, code)


@page_view
def area_live(request, code: str):
    data = screen.screen(request.user, code)
    return render(request, "command/screen_live.html", _context(request, data))


@page_view
def area_map(request, code: str):
    return HttpResponse(screen.map_layers(request.user, code), content_type="application/json")
