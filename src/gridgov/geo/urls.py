from django.urls import path

from gridgov.geo import views

app_name = "geo"
urlpatterns = [path("map/", views.map_view, name="map")]
