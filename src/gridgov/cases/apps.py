from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("Events")

    def ready(self) -> None:
        from gridgov.cases import checks  # noqa: F401  (registers the calendar check)
