from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = "gridgov core"

    def ready(self) -> None:
        from gridgov.core import checks  # noqa: F401  (registers the file-mode checks)
