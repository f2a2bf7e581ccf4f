from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "gridgov.command"
    label = "command"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from gridgov.command import screen_sources  # noqa: F401 — registers the other modules' tiles and cards
