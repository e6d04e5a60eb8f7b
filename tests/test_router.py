"""The router refuses what would silently lose work: a name registered twice, a
scheduled kind nobody renders, a renderer of a kind nobody declared; and a button's
payload is parsed once into its declared type, an old or forged one refused."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pytest

from bot.buttons import ButtonData, Decision, StaleButton, decode
from bot.errors import UserError
from bot.messages import MailOut, Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules.kinds import Kind, failed
from bot.wiring import build_router
from storage.models import Question


async def _handler(ctx: Context) -> list[Reply]:  # pragma: no cover - never called
    return []


@dataclass(frozen=True)
class Probe(ButtonData, prefix="probe"):
    item_id: int
    decision: Decision


async def _button(ctx: Context, press: Probe) -> list[Reply]:  # pragma: no cover
    return []


async def _render(ctx: ScheduledContext) -> Sequence[Reply | MailOut]:  # pragma: no cover
    return []


async def _answer(ctx: Context, question: Question) -> list[Reply]:  # pragma: no cover
    return []


def test_the_real_router_renders_every_declared_kind() -> None:
    router = build_router()
    assert {k.value for k in Kind} <= set(router.renderers)
    assert failed(Kind.CONVOCATION_MAIL) in router.renderers


@pytest.mark.parametrize("what", ["command", "button", "scheduled", "answer"])
def test_a_second_registration_is_refused(what: str) -> None:
    router = Router()
    register: Callable[[], object] = {
        "command": lambda: router.command("proxima", "x", "/proxima")(_handler),
        "button": lambda: router.button(Probe)(_button),
        "scheduled": lambda: router.scheduled(Kind.ATA_LATE)(_render),
        "answer": lambda: router.answer("rsvp_reason")(_answer),
    }[what]
    register()
    with pytest.raises(ValueError, match="twice"):
        register()


def test_an_alias_never_shadows_a_command_nor_leads_nowhere() -> None:
    router = Router()
    router.command("proxima", "x", "/proxima")(_handler)
    router.alias("reuniao", "proxima")
    # A command registered after an alias of the same name is refused, as the other way.
    with pytest.raises(ValueError, match="/reuniao registered twice"):
        router.command("reuniao", "x", "/reuniao")(_handler)
    with pytest.raises(ValueError, match="/proxima registered twice"):
        router.alias("proxima", "reuniao")
    # An alias of a command nobody registered (a typo) stops the start-up.
    real = build_router()
    real.alias("proximo", "proxma")
    with pytest.raises(ValueError, match="unregistered commands: /proximo -> /proxma"):
        real.check()
    build_router().check()  # the real aliases all lead somewhere


def test_start_up_refuses_a_kind_without_renderer_and_an_undeclared_one() -> None:
    router = build_router()
    del router.renderers[Kind.ATA_LATE]
    with pytest.raises(ValueError, match="ata_late"):
        router.check()
    router = build_router()
    router.scheduled("ata_lat")(_render)  # a typo
    with pytest.raises(ValueError, match="undeclared kinds: ata_lat"):
        router.check()


def test_button_data_round_trips_and_keeps_the_v1_wire_form() -> None:
    press = Probe(12, Decision.NO)
    assert press.encode() == "v1:probe:12:no"
    assert decode(press.encode(), Probe) == press
    assert isinstance(decode("v1:probe:3:ok", Probe), Probe)


@pytest.mark.parametrize(
    "data",
    [
        "v0:probe:12:ok",  # another release's version
        "v1:probe:12",  # a field missing
        "v1:probe:12:ok:x",  # a field too many
        "v1:probe:-1:ok",  # not digits
        "v1:probe:１２:ok",  # fullwidth digits are not ours
        "v1:probe:12:yes",  # not a Decision
        "v1:probe::ok",  # empty
        "v1:other:12:ok",  # another type's prefix
    ],
)
def test_a_forged_payload_does_not_parse(data: str) -> None:
    with pytest.raises(StaleButton):
        decode(data, Probe)


@dataclass(frozen=True)
class Text(ButtonData, prefix="text"):
    word: str


def test_a_payload_that_cannot_be_button_data_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="too long"):
        Text("x" * 60).encode()
    with pytest.raises(ValueError, match="cannot be button data"):
        Text("a:b").encode()


def test_a_field_type_buttons_cannot_carry_fails_at_registration() -> None:
    @dataclass(frozen=True)
    class Odd(ButtonData, prefix="odd"):
        when: float

    async def handler(ctx: Context, press: Odd) -> list[Reply]:  # pragma: no cover
        return []

    with pytest.raises(TypeError, match="unsupported type"):
        Router().button(Odd)(handler)


async def test_every_real_button_refuses_old_and_forged_payloads_before_its_handler() -> None:
    router = build_router()
    assert set(router.buttons) >= {"rsvp", "pres", "cal", "plan", "erase", "ext", "role", "conv"}
    # The handler is never reached, so no context is needed: nothing can change.
    ctx = cast(Context, None)
    for prefix, (kind, _handler) in router.buttons.items():
        right = len(kind.field_types())
        wrong_values = ":".join(["x"] * right)  # right count, no field of its type
        for data in (
            f"v0:{prefix}:{wrong_values}",
            f"v1:{prefix}",
            f"v1:{prefix}:{wrong_values}:1",
            f"v1:{prefix}:{wrong_values}",
        ):
            with pytest.raises(UserError) as refused:
                await router.dispatch_button(ctx, data)
            assert refused.value.key == "This choice is no longer valid."
    with pytest.raises(UserError):
        await router.dispatch_button(ctx, "v1:nobody:1")


async def test_a_valid_payload_reaches_its_handler_parsed() -> None:
    router = Router()
    seen: list[Any] = []

    async def handler(ctx: Context, press: Probe) -> list[Reply]:
        seen.append(press)
        return []

    router.button(Probe)(handler)
    await router.dispatch_button(cast(Context, None), "v1:probe:7:ok")
    assert seen == [Probe(7, Decision.OK)]


@dataclass(frozen=True)
class Mine(ButtonData, prefix="mine"):
    member_id: int
    decision: Decision


def test_private_forms_need_a_command_and_private_buttons_name_their_member() -> None:
    router = Router()

    async def anywhere(pctx: Any) -> list[Reply]:  # pragma: no cover - never called
        return []

    router.private("nada")(anywhere)
    with pytest.raises(ValueError, match="private forms of unregistered commands: /nada"):
        router.check()
    with pytest.raises(ValueError, match="private /nada registered twice"):
        router.private("nada")(anywhere)
    # A button pressable in private must say whose it is (only that member may press it).
    with pytest.raises(ValueError, match="no member_id"):
        router.button(Probe, private=True)(_button)
    router.button(Mine, private=True)(_button)  # type: ignore[arg-type]
    assert router.private_member(Mine(7, Decision.OK).encode()) == 7
    assert router.private_member("v1:mine:x:ok") is None  # forged
    router.button(Probe)(_button)
    assert router.private_member(Probe(7, Decision.OK).encode()) is None  # group-only
