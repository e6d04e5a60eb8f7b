"""Typed, versioned button data: each button is one declared type, parsed once.

A feature declares what its button carries::

    @dataclass(frozen=True)
    class ErasePress(ButtonData, prefix="erase"):
        member_id: int
        decision: Decision

and builds the button with ``Button(label, ErasePress(7, Decision.OK).encode())``; its
handler receives an ``ErasePress``, never a list of strings. The payload is
``v1:erase:7:ok`` (Telegram allows 64 bytes). A payload of another version, an unknown
prefix, a wrong number of fields or a field that is not of its type (an old release's
button, a forged one) is refused by :func:`decode` with :class:`StaleButton`, which the
router answers with one message.

Field types: ``int`` (digits only), ``str`` (no ``:``) and any ``StrEnum``.
"""

from __future__ import annotations

import dataclasses
import typing
from enum import StrEnum
from typing import Any, ClassVar, Self

VERSION = "v1"
MAX_BYTES = 64
_SEP = ":"


class StaleButton(ValueError):
    """The payload is not one this release builds."""


class Decision(StrEnum):
    """A yes/no choice on a proposal (save a draft, accept a role, erase my data)."""

    OK = "ok"
    NO = "no"


@dataclasses.dataclass(frozen=True)
class ButtonData:
    """Base of every button's payload type; subclasses are frozen dataclasses."""

    prefix: ClassVar[str] = ""
    _fields: ClassVar[tuple[tuple[str, Any], ...]] = ()

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or _SEP in prefix:
            raise TypeError(f"{cls.__name__} needs a prefix without '{_SEP}'")
        cls.prefix = prefix

    @classmethod
    def field_types(cls) -> tuple[tuple[str, Any], ...]:
        if not cls.__dict__.get("_fields"):
            hints = typing.get_type_hints(cls)
            cls._fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
            for name, kind in cls._fields:
                if kind not in (int, str) and not (
                    isinstance(kind, type) and issubclass(kind, StrEnum)
                ):
                    raise TypeError(f"{cls.__name__}.{name}: unsupported type {kind!r}")
        return cls._fields

    def encode(self) -> str:
        parts = [VERSION, self.prefix]
        for name, _kind in self.field_types():
            value = str(getattr(self, name))
            if not value or _SEP in value:
                raise ValueError(f"{self.prefix}.{name}: {value!r} cannot be button data")
            parts.append(value)
        data = _SEP.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data too long: {data}")
        return data

    @classmethod
    def from_fields(cls, values: list[str]) -> Self:
        types = cls.field_types()
        if len(values) != len(types):
            raise StaleButton(f"{cls.prefix}: {len(values)} fields, {len(types)} expected")
        kwargs: dict[str, Any] = {}
        for (name, kind), value in zip(types, values, strict=True):
            kwargs[name] = _convert(kind, value)
        return cls(**kwargs)


def _convert(kind: Any, value: str) -> Any:
    if kind is int:
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise StaleButton(f"not a number: {value!r}")
        return int(value)
    if kind is str:
        if not value:
            raise StaleButton("empty field")
        return value
    try:
        return kind(value)
    except ValueError as error:
        raise StaleButton(f"not a {kind.__name__}: {value!r}") from error


def prefix_of(data: str) -> str | None:
    """The prefix of a payload of this version (None for another version's)."""
    parts = data.split(_SEP)
    if len(parts) < 2 or parts[0] != VERSION:
        return None
    return parts[1]


def decode(data: str, kind: type[ButtonData]) -> ButtonData:
    """Parse ``data`` as ``kind``; :class:`StaleButton` when it is not one."""
    parts = data.split(_SEP)
    if len(parts) < 2 or parts[0] != VERSION or parts[1] != kind.prefix:
        raise StaleButton(f"not a {kind.prefix} button: {data!r}")
    return kind.from_fields(parts[2:])
