"""A member sees and erases what the bot holds about them (LGPD, PRODUCT.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.buttons import ButtonData, Decision
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.router import Context, Router
from bot.services import personal_data as service
from handlers.common import person


async def my_data(ctx: Context) -> list[Reply]:
    data = await service.export(ctx.session, ctx.network, ctx.member)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return [
        Reply(
            text=_("What I hold about you in this network. To erase it: /apagarmeusdados"),
            file=OutFile("meus-dados.json", content, "application/json"),
            to_user=person(ctx.member),
        ),
        Reply(text=_("{name}, I sent your data in private.").format(name=ctx.member.name)),
    ]


async def erase_request(ctx: Context) -> list[Reply]:
    return [
        Reply(
            text=_(
                "{name}, erase what I hold about you here (sector, answers, presences)? "
                "Devolutivas stay as records of your sector, without your name."
            ).format(name=ctx.member.name),
            buttons=(_erase_buttons(ctx.member.id),),
        )
    ]


def _erase_buttons(member_id: int) -> tuple[Button, ...]:
    return (
        Button(_("🗑 Erase"), EraseDecision(member_id, Decision.OK).encode()),
        Button(_("✖ Keep"), EraseDecision(member_id, Decision.NO).encode()),
    )


@dataclass(frozen=True)
class EraseDecision(ButtonData, prefix="erase"):
    """Erase my data, or keep it (only the person who asked)."""

    member_id: int
    decision: Decision


async def erase_button(ctx: Context, press: EraseDecision) -> list[Reply]:
    erased = await service.answer_erasure(
        ctx.session,
        ctx.network,
        ctx.member,
        asked_by_id=press.member_id,
        erase=press.decision is Decision.OK,
    )
    if not erased:
        return [Reply(text=_("Nothing was erased."), edit=True)]
    return [Reply(text=_("Done: I erased what I held about you in this network."), edit=True)]


def register(router: Router) -> None:
    router.command("meusdados", N_("what the bot holds about you"), "/meusdados")(my_data)
    router.command("apagarmeusdados", N_("erase what the bot holds about you"), "/apagarmeusdados")(
        erase_request
    )
    router.button(EraseDecision)(erase_button)
