"""`gridgov import-houses FILE`: import houses (registry.imports)."""

from ._import import ImportCommand


class Command(ImportCommand):
    kind = "houses"
    help = "import houses from CSV (UTF-8/GBK) or .xlsx (upsert; report of bad rows)"
