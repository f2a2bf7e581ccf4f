from django.urls import path

from gridgov.safety import campaign_views, views

app_name = "safety"
urlpatterns = [
    path("", views.situation, name="situation"),
    path("trend/", views.trend, name="trend"),
    path("warnings/", views.warnings, name="warnings"),
    path("warnings/<int:alert_id>/action/", views.warning_action, name="warning_action"),
    path("runs/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_page, name="run"),
    path("briefing/", views.briefing, name="briefing"),
    path("briefing.pdf", views.briefing_pdf, name="briefing_pdf"),
    path("settings/", views.settings_view, name="settings"),
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", campaign_views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/summary.pdf", campaign_views.campaign_summary_pdf, name="campaign_pdf"),
]
