"""The router refuses what would silently lose work: a name registered twice, a
scheduled kind nobody renders, a renderer of a kind nobody declared."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.messages import MailOut, Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules.kinds import Kind, failed
from bot.wiring import build_router
from storage.models import Question


async def _handler(ctx: Context) -> list[Reply]:  # pragma: no cover - never called
    return []


async def _button(ctx: Context, args: list[str]) -> list[Reply]:  # pragma: no cover
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
    register = {
        "command": lambda: router.command("proxima", "x", "/proxima")(_handler),
        "button": lambda: router.button("rsvp")(_button),
        "scheduled": lambda: router.scheduled(Kind.ATA_LATE)(_render),
        "answer": lambda: router.answer("rsvp_reason")(_answer),
    }[what]
    register()
    with pytest.raises(ValueError, match="twice"):
        register()


def test_start_up_refuses_a_kind_without_renderer_and_an_undeclared_one() -> None:
    router = build_router()
    del router.renderers[Kind.ATA_LATE]
    with pytest.raises(ValueError, match="ata_late"):
        router.check()
    router = build_router()
    router.scheduled("ata_lat")(_render)  # a typo
    with pytest.raises(ValueError, match="undeclared kinds: ata_lat"):
        router.check()
