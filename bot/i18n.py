"""Gettext catalogs (locales/) and Brazilian-style formatting, per network locale.

The catalogs are read from the .po files at first use and compiled in memory,
so no build step (and no tracked .mo file) is needed. The current locale is a
context variable, set once per update from the network's settings.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as _gettext
import io
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import locales

LOCALES_DIR = Path(locales.__file__).resolve().parent
DOMAIN = "redebot"
DEFAULT_LOCALE = "pt_BR"
SUPPORTED_LOCALES = ("pt_BR", "en", "es")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT_LOCALE)


@functools.cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``locale`` (English msgids pass through for ``en``)."""
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def current_locale() -> str:
    return _current.get()


@contextlib.contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Render everything inside the block in ``locale``."""
    token = _current.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def language_name(locale: str) -> str:
    """The language's own name for itself: "português (Brasil)", "español"."""
    return str(Locale.parse(locale).get_display_name(locale))


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it now."""
    return message


class Plural(NamedTuple):
    """A message with plural forms, chosen by its ``n`` when it is rendered."""

    singular: str
    plural: str


def Np_(singular: str, plural: str) -> Plural:
    """Mark a plural msgid for extraction (``n`` picks the form when rendered)."""
    return Plural(singular, plural)


_ = gettext
