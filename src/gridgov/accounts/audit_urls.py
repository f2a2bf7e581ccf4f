from django.urls import path

from gridgov.accounts import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_page, name="trail"),
    path("export.csv", views.audit_export, name="export"),
]
