"""Compile every .po under src/gridgov (the project's locale/ and each app's) into .mo with polib
(no GNU gettext needed).

`make messages` runs it; the compiled .mo files are committed so that an install needs nothing.
"""

from __future__ import annotations

from pathlib import Path

import polib

PACKAGE = Path(__file__).resolve().parent.parent


def main() -> int:
    count = 0
    for po_path in sorted(PACKAGE.glob("**/locale/*/LC_MESSAGES/*.po")):
        po = polib.pofile(str(po_path))
        untranslated = [e.msgid for e in po.untranslated_entries()]
        if untranslated:
            print(f"{po_path.relative_to(PACKAGE)}: {len(untranslated)} untranslated, e.g. {untranslated[:3]}")
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        count += 1
    print(f"compiled {count} catalogue(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
