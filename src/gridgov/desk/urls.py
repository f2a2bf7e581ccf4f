from django.urls import path

from gridgov.desk import concern_views

app_name = "desk"
urlpatterns: list = [
    path("concerns/", concern_views.concern_list, name="concerns"),
    path("concerns/new/", concern_views.concern_new, name="concern_new"),
    path("concerns/<int:concern_id>/", concern_views.concern_detail, name="concern_detail"),
]
