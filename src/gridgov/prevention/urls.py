from django.urls import path

from gridgov.prevention import plan_views, staffing_views, views

app_name = "prevention"
urlpatterns = [
    path("", views.gaps, name="gaps"),
    path("gaps.geojson", views.gaps_geojson, name="gaps_geojson"),
    path("cameras.json", views.cameras_json, name="cameras_json"),
    path("patrols/", views.patrol_log, name="patrol_log"),
    path("defence/activity/", views.defence_activity, name="defence_activity"),
    path("networks/", views.networks, name="networks"),
    path("inspections/", views.inspections, name="inspections"),
    path("inspections/<int:inspection_id>/", views.inspection, name="inspection"),
    path("import/<slug:network>/", views.import_sheet, name="import"),
    path("import/<slug:network>/template.xlsx", views.import_template, name="import_template"),
    path("plan/", plan_views.plan, name="plan"),
    path("plan/propose/", plan_views.plan_propose, name="plan_propose"),
    path("plan/<int:plan_id>/accept/", plan_views.plan_accept, name="plan_accept"),
    path("plan/<int:plan_id>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("staffing/", staffing_views.staffing, name="staffing"),
    path("staffing/save/", staffing_views.staffing_save, name="staffing_save"),
]
