from django.urls import path

from gridgov.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.intake, name="intake"),
    path("mobile/", views.mobile, name="mobile"),
    path("map/", views.cases_map, name="map"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("w/<slug:name>/", views.worklist, name="worklist"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/act/", views.act, name="act"),
    path("<int:case_id>/note/", views.note, name="note"),
    path("<int:case_id>/attach/", views.attach, name="attach"),
    path("<int:case_id>/tasks/<int:task_id>/done/", views.task_done, name="task_done"),
    path("<int:case_id>/tasks/<int:task_id>/cancel/", views.task_cancel, name="task_cancel"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
