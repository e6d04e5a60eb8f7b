"""How names people type are compared: case, accents and spacing do not count."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """Lower-case, accent-free, single-spaced: "Saúde  Mental" and "saude mental" match."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())
