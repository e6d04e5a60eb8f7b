"""Errors a user can act on: raised once with a message key, rendered once."""

from __future__ import annotations

from bot.i18n import N_, Plural, gettext, ngettext

# The example of a refusal that is no wrong form (the right form, refused for a reason the
# text gives): the command's own example would only mislead.
NO_EXAMPLE = ""


class UserError(Exception):
    """A problem with what the user typed or asked for.

    ``key`` is an English gettext msgid with ``{named}`` placeholders (mark it
    with ``N_`` at the raise site so extraction finds it); ``example`` is a
    command line showing the right form (commands are the same in every locale,
    so examples are not translated). A ``Plural`` key (``Np_``) is rendered in the form
    its ``n`` parameter asks for.
    """

    def __init__(self, key: str | Plural, *, example: str | None = None, **params: object) -> None:
        self.plural = key if isinstance(key, Plural) else None
        self.key = key.singular if isinstance(key, Plural) else key
        super().__init__(self.key)
        self.example = example
        self.params = params

    def render(self) -> str:
        """The message in the current locale, with the example on its own line. A parameter
        (often what the user typed: "no sector called X") is said back without the personal
        identifiers in it, and cut when long: an error never repeats 4,000 characters."""
        params = {name: _short(value) for name, value in self.params.items()}
        if self.plural is not None:
            count = self.params["n"]
            assert isinstance(count, int)
            text = ngettext(*self.plural, count).format(**params)
        else:
            text = gettext(self.key).format(**params)
        if self.example:
            text += "\n" + gettext("Example: {example}").format(example=self.example)
        return text


MAX_PARAM = 200  # characters of one parameter shown in an error


def _short(value: object) -> object:
    if not isinstance(value, str) or isinstance(value, Listing):
        return value
    from bot.rules.privacy import redact  # imported here: the screen's refusal is a UserError

    shown = redact(value)  # before the cut, which could leave half a CPF unrecognisable
    if shown == value:
        shown = value  # the object itself: a FieldName translates itself
    if len(shown) > MAX_PARAM:
        return shown[: MAX_PARAM - 1] + "…"
    return shown


TOO_LONG = N_("{field} is too long: at most {limit} characters (you sent {length}).")


class FieldName(str):
    """A field's name (a msgid), translated when the error is rendered."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        text = gettext(str(self))
        return format(text[:1].upper() + text[1:], spec)


class Listing(str):
    """What the network holds, listed in full in an error (its sectors' names): never
    typed by the person, so neither screened again nor cut."""

    __slots__ = ()


def check_length(text: str, most: int, field: str) -> None:
    """Refuse a typed ``text`` longer than ``most`` characters, naming its ``field``."""
    if len(text) > most:
        raise UserError(TOO_LONG, field=FieldName(field), limit=most, length=len(text))
