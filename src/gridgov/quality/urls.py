from django.urls import path

from gridgov.quality import reconcile_views, views

app_name = "quality"
urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("design/", views.design, name="design"),
    path("worklist/", views.worklist, name="worklist"),
    path("visit/<int:sampled_house_id>/", views.visit, name="visit"),
    path("<int:campaign_id>/", views.campaign, name="campaign"),
    path("<int:campaign_id>/assign/", views.assign_default, name="assign_default"),
    path("<int:campaign_id>/corrections/<int:proposal_id>/", views.correction_decide, name="correction_decide"),
    path("<int:campaign_id>/estimates/", views.estimates, name="estimates"),
    path("<int:campaign_id>/estimates.geojson", views.estimates_geojson, name="estimates_geojson"),
    path("<int:campaign_id>/<slug:part>.csv", views.campaign_export, name="export"),
    path("reconcile/", reconcile_views.reconcile_list, name="reconcile"),
    path("reconcile/<int:rec_id>/", reconcile_views.reconcile_detail, name="reconcile_detail"),
    path("reconcile/worklist/", reconcile_views.reconcile_worklist, name="reconcile_worklist"),
    path("reconcile/items/<int:item_id>/decide/", reconcile_views.reconcile_decide, name="reconcile_decide"),
]
