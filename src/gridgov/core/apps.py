from django.apps import AppConfig


def _connection_created(sender, connection, **kwargs) -> None:
    from gridgov.core.db_adapter import sqlite_register_functions

    sqlite_register_functions(connection)


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = "gridgov core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from gridgov.core import checks  # noqa: F401  (registers the file-mode checks)

        connection_created.connect(_connection_created, dispatch_uid="gridgov.core.sqlite_functions")
