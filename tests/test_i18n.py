"""Every message a user can read is in the pt_BR catalog, with the same placeholders."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from bot.i18n import gettext, translations, use_locale

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import i18n as catalog_tool

PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::[^}]*)?\}")


def test_every_message_in_the_code_has_a_pt_br_translation() -> None:
    assert catalog_tool.untranslated("pt_BR", catalog_tool.extract()) == []


@pytest.mark.parametrize("locale", ["pt_BR", "es"])
def test_translations_keep_the_placeholders(locale: str) -> None:
    catalog = catalog_tool.load(locale)
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if string:
                assert set(PLACEHOLDER.findall(string)) <= expected | set(
                    PLACEHOLDER.findall(ids[0])
                ), (message.id, string)


def test_pt_br_is_the_default_and_en_passes_through() -> None:
    assert gettext("Example: {example}") == "Exemplo: {example}"
    with use_locale("en"):
        assert gettext("Example: {example}") == "Example: {example}"
    with use_locale("es"):
        assert gettext("Example: {example}") == "Ejemplo: {example}"
    assert translations("pt_BR") is translations("pt_BR")
