from django.urls import path

from gridgov.care import views

app_name = "care"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("statistics/", views.area_statistics, name="area_statistics"),
    path("<slug:programme>/transfers/<int:transfer_id>/accept/", views.transfer_accept, name="transfer_accept"),
    path("<slug:programme>/<int:enrolment_id>/transfer/", views.transfer_offer, name="transfer_offer"),
    path("<slug:programme>/<int:enrolment_id>/", views.case_file, name="case_file"),
    path("<slug:programme>/<int:enrolment_id>/contact/", views.contact_mobile, name="contact"),
    path("<slug:programme>/statistics/", views.statistics, name="statistics"),
]
