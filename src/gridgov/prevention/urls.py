from django.urls import path

from gridgov.prevention import plan_views, staffing_views

app_name = "prevention"
urlpatterns: list = [
    path("plan/", plan_views.plan, name="plan"),
    path("plan/propose/", plan_views.plan_propose, name="plan_propose"),
    path("plan/<int:plan_id>/accept/", plan_views.plan_accept, name="plan_accept"),
    path("plan/<int:plan_id>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("staffing/", staffing_views.staffing, name="staffing"),
    path("staffing/save/", staffing_views.staffing_save, name="staffing_save"),
]
