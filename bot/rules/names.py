"""Names: how the ones people type are compared, and how the bot names things."""

from __future__ import annotations

import unicodedata

from bot.i18n import N_
from bot.i18n import gettext as _

KIND_NAMES = {
    "ordinary": N_("ordinary meeting"),
    "extraordinary": N_("extraordinary meeting"),
    "working_group": N_("working group meeting"),
}


def name_key(name: str) -> str:
    """Lower-case, accent-free, single-spaced: "Saúde  Mental" and "saude mental" match."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def collation_key(name: str) -> tuple[str, str]:
    """Sorts names in Portuguese order: accents and case only break ties, so "Ação
    Social" < "Acolhimento" < "CRAS" < "Creche" (code points would put "CRAS" and
    "Acolhimento" first). The key people type by (``name_key``) already says it."""
    return name_key(name), name


def kind_name(kind: str) -> str:
    """ "ordinary" → "reunião ordinária" (in the network's language)."""
    return _(KIND_NAMES.get(kind, KIND_NAMES["ordinary"]))


def first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def representative(sector: str | None) -> str:
    """How a record names someone who erased their data (/apagarmeusdados): by the sector
    they represented, never by name."""
    if sector:
        return _("representative of {sector}").format(sector=sector)
    return _("a member (data erased)")
