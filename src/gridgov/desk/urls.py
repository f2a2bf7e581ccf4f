from django.urls import path

from gridgov.desk import concern_views, views

app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("receive/", views.receive, name="receive"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/close/", views.close, name="close"),
    path("permits/", views.permits, name="permits"),
    path("permits/<int:application_id>/review/", views.review, name="review"),
    path("reminders/", views.reminders, name="reminders"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/<int:referral_id>/record/", views.referral_record, name="referral_record"),
    path("projects/", views.projects, name="projects"),
    path("outputs/<int:output_id>/record/", views.output_record, name="output_record"),
    path("concerns/", concern_views.concern_list, name="concerns"),
    path("concerns/new/", concern_views.concern_new, name="concern_new"),
    path("concerns/<int:concern_id>/", concern_views.concern_detail, name="concern_detail"),
]
