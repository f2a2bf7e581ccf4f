from django.urls import path

from gridgov.command import home, screen_views

app_name = "command"
urlpatterns = [
    path("", screen_views.my_screen, name="screen"),
    path("area/<str:code>/", screen_views.area, name="area"),
    path("area/<str:code>/live/", screen_views.area_live, name="area_live"),
    path("area/<str:code>/map.json", screen_views.area_map, name="area_map"),
    path("positions/", home.positions, name="positions"),
]
