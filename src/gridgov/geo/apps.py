from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "gridgov.geo"
    label = "geo"
    verbose_name = _("Geography")

    def ready(self) -> None:
        from gridgov.accounts.labels import register_jurisdiction_namer
        from gridgov.geo.selectors import place_names

        register_jurisdiction_namer(place_names)  # the audit page names jurisdictions
