"""`gridgov import-orgs FILE`: import organisations (registry.imports)."""

from ._import import ImportCommand


class Command(ImportCommand):
    kind = "orgs"
    help = "import organisations from CSV (UTF-8/GBK) or .xlsx (upsert; report of bad rows)"
