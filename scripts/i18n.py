"""Keep the gettext catalogs in step with the code.

python scripts/i18n.py          # add new msgids to every catalog, report untranslated
python scripts/i18n.py --check  # exit 1 when pt_BR lacks a translation (used by tests)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "storage")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "ngettext": (1, 2),
    "Np_": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
LOCALES = ("pt_BR", "en", "es")


def extract() -> Catalog:
    template = Catalog(project="redebot")
    for source in SOURCES:
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            template.add(message, locations=[(f"{source}/{filename}", lineno)], context=context)
    return template


def po_path(locale: str) -> Path:
    return ROOT / "locales" / locale / "LC_MESSAGES" / "redebot.po"


def load(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale)


def untranslated(locale: str, template: Catalog) -> list[str]:
    catalog = load(locale)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if (
            found is None
            or not found.string
            or (isinstance(found.string, tuple) and not all(found.string))
        ):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update() -> None:
    template = extract()
    for locale in LOCALES:
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        with po_path(locale).open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)


def main() -> int:
    template = extract()
    if "--check" not in sys.argv:
        update()
    missing = untranslated("pt_BR", template)
    for msgid in missing:
        print(f"pt_BR lacks: {msgid!r}")
    return 1 if missing and "--check" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
