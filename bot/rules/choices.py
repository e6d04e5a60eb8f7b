"""Typed answers to a message of options, where a platform has no buttons (issue 9 §1).

"2", "nao vou", "Não vou!", "sim" — matched against the options shown, the way a
person answers on a phone: case, accents, emoji and punctuation do not matter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")
YES = frozenset({"sim", "s", "ok", "confirmo", "confirmar", "yes", "si"})
NO = frozenset({"nao", "n", "no"})


def normalise(text: str) -> str:
    """Lower case, no accents, no emoji or punctuation, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", plain)).strip()


def match_choice(text: str, options: Sequence[tuple[str, str]]) -> str | None:
    """The data of the option ``text`` chooses, or None when it chooses none.

    Accepted: the option's number ("2", "2."), its words ("nao vou"), and for a
    two-option choice (confirm / discard, accept / refuse) "sim"/"ok" or "não".
    """
    answer = normalise(text)
    if not answer:
        return None
    if answer.isascii() and answer.isdigit():
        index = int(answer)
        return options[index - 1][1] if 1 <= index <= len(options) else None
    labels = [normalise(label) for label, _data in options]
    for (_label, data), label in zip(options, labels, strict=True):
        if answer == label:
            return data
    if len(options) == 2:
        if answer in YES:
            return options[0][1]
        if answer in NO:
            return options[1][1]
    return None


def subject(options: Sequence[tuple[str, str]]) -> str:
    """What a set of options decides, the same in every message that offers it.

    Button data is ``v1:feature:ids…:choice:…``: the tokens before the first one that
    differs between the options, and the numbers after it ("v1:rsvp:12" for an RSVP in
    the announcement and in a reminder alike; "v1:cal:5" for one calendar draft).
    """
    rows = [data.split(":") for _label, data in options]
    if not rows:
        return ""
    if len(rows) == 1:
        return ":".join(rows[0])
    width = min(len(r) for r in rows)
    same = next((i for i in range(width) if len({r[i] for r in rows}) > 1), width)
    ids = [t for t in rows[0][same + 1 :] if t.isdigit() and all(t in r for r in rows)]
    return ":".join([*rows[0][:same], *ids])
