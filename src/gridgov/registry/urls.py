from django.urls import path

from gridgov.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.persons, name="persons"),
    path("persons/<int:person_id>/", views.person_detail, name="person"),
    path("houses/<int:house_id>/", views.house_detail, name="house"),
    path("houses/<int:house_id>/register/", views.house_register_resident, name="register_at_house"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/<int:org_id>/", views.organisation_detail, name="organisation"),
    path("import/", views.import_page, name="import"),
    path("import/<int:job_id>/", views.import_job, name="import_job"),
    path("import/<int:job_id>/report.csv", views.import_report, name="import_report"),
]
