"""`gridgov import-persons FILE`: import residents (registry.imports)."""

from ._import import ImportCommand


class Command(ImportCommand):
    kind = "persons"
    help = "import residents from CSV (UTF-8/GBK) or .xlsx (upsert; report of bad rows)"
