from django.urls import path

from gridgov.command import home, project_views, scorecard_views, screen_views

app_name = "command"
urlpatterns: list = [
    # the command screen (screen_views.py) and the role home pages (home.py)
    path("", screen_views.my_screen, name="screen"),
    path("area/<str:code>/", screen_views.area, name="area"),
    path("area/<str:code>/live/", screen_views.area_live, name="area_live"),
    path("area/<str:code>/map.json", screen_views.area_map, name="area_map"),
    path("positions/", home.positions, name="positions"),
    # 项目清单 (project_views.py)
    path("projects/", project_views.project_list, name="projects"),
    path("projects/map/", project_views.project_map, name="project_map"),
    path("projects/map.geojson", project_views.project_map_data, name="project_map_data"),
    path("projects/timeline/", project_views.project_timeline, name="project_timeline"),
    path("projects/new/", project_views.project_new, name="project_new"),
    path("projects/import/", project_views.project_import, name="project_import"),
    path("projects/template.<str:fmt>", project_views.project_template, name="project_template"),
    path("projects/photos/<int:photo_id>/", project_views.photo, name="project_photo"),
    path("projects/<int:project_id>/", project_views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/edit/", project_views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/status/", project_views.project_status, name="project_status"),
    path("projects/<int:project_id>/milestones/", project_views.milestone_add, name="project_milestone_add"),
    path("projects/<int:project_id>/milestones/<int:milestone_id>/done/", project_views.milestone_done,
         name="project_milestone_done"),
    path("projects/<int:project_id>/notes/", project_views.note_add, name="project_note_add"),
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
