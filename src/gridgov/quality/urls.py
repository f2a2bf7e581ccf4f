from django.urls import path

from gridgov.quality import reconcile_views

app_name = "quality"
urlpatterns: list = [
    path("reconcile/", reconcile_views.reconcile_list, name="reconcile"),
    path("reconcile/<int:rec_id>/", reconcile_views.reconcile_detail, name="reconcile_detail"),
    path("reconcile/worklist/", reconcile_views.reconcile_worklist, name="reconcile_worklist"),
    path("reconcile/items/<int:item_id>/decide/", reconcile_views.reconcile_decide, name="reconcile_decide"),
]
