from django.urls import path

from gridgov.command import scorecard_views

app_name = "command"
urlpatterns: list = [
    # scorecards, responsibility and supervision (command/scorecard_views.py)
    path("scorecards/", scorecard_views.index, name="scorecard_index"),
    path("scorecards/<str:area_code>/", scorecard_views.scorecard_page, name="scorecard"),
    path("scorecards/<str:area_code>/export.xlsx", scorecard_views.export_xlsx, name="scorecard_xlsx"),
    path("scorecards/<str:area_code>/export.pdf", scorecard_views.export_pdf, name="scorecard_pdf"),
    path("scorecards/<str:area_code>/weights/", scorecard_views.weights, name="scorecard_weights"),
    path("scorecards/<str:area_code>/<str:month>/<slug:key>/", scorecard_views.drill, name="scorecard_drill"),
    path("responsibility/<str:area_code>/", scorecard_views.responsibility, name="responsibility"),
    path("supervision/<str:area_code>/", scorecard_views.supervision, name="supervision"),
    path("supervision/action/<int:action_id>/", scorecard_views.supervision_detail, name="supervision_detail"),
]
