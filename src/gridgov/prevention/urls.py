from django.urls import path

from gridgov.prevention import views

app_name = "prevention"
urlpatterns = [
    path("", views.gaps, name="gaps"),
    path("gaps.geojson", views.gaps_geojson, name="gaps_geojson"),
    path("cameras.json", views.cameras_json, name="cameras_json"),
    path("patrols/", views.patrol_log, name="patrol_log"),
    path("defence/activity/", views.defence_activity, name="defence_activity"),
    path("networks/", views.networks, name="networks"),
    path("import/<slug:network>/", views.import_sheet, name="import"),
    path("import/<slug:network>/template.xlsx", views.import_template, name="import_template"),
]
