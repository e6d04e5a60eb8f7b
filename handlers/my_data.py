"""A member sees and erases what the bot holds about them (LGPD, PRODUCT.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.router import Context, Router
from handlers.common import person
from storage import personal_data, repo


async def my_data(ctx: Context) -> list[Reply]:
    member = ctx.member
    data = await personal_data.export(ctx.session, ctx.network, member)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    reachable = await repo.contact_ids(
        session=ctx.session, platform=ctx.network.platform, user_ids=[member.user_id]
    )
    if member.user_id not in reachable:
        raise UserError(
            N_(
                "I send your data only in private: open a chat with me, send /start, "
                "then ask again here."
            ),
            example="/meusdados",
        )
    return [
        Reply(
            text=_("What I hold about you in this network. To erase it: /apagarmeusdados"),
            file=OutFile("meus-dados.json", content, "application/json"),
            to_user=person(member),
        ),
        Reply(text=_("{name}, I sent your data in private.").format(name=member.name)),
    ]


async def erase_request(ctx: Context) -> list[Reply]:
    return [
        Reply(
            text=_(
                "{name}, erase what I hold about you here (sector, answers, presences)? "
                "Devolutivas stay as records of your sector, without your name."
            ).format(name=ctx.member.name),
            buttons=(
                (
                    Button(_("🗑 Erase"), EraseDecision(ctx.member.id, Decision.OK).encode()),
                    Button(_("✖ Keep"), EraseDecision(ctx.member.id, Decision.NO).encode()),
                ),
            ),
        )
    ]


@dataclass(frozen=True)
class EraseDecision(ButtonData, prefix="erase"):
    """Erase my data, or keep it (only the person who asked)."""

    member_id: int
    decision: Decision


async def erase_button(ctx: Context, press: EraseDecision) -> list[Reply]:
    if press.member_id != ctx.member.id:
        raise UserError(N_("Only the person who asked can answer this."))
    if press.decision is not Decision.OK:
        return [Reply(text=_("Nothing was erased."), edit=True)]
    await personal_data.erase(ctx.session, ctx.network, ctx.member)
    return [Reply(text=_("Done: I erased what I held about you in this network."), edit=True)]


def register(router: Router) -> None:
    router.command("meusdados", N_("what the bot holds about you"), "/meusdados")(my_data)
    router.command("apagarmeusdados", N_("erase what the bot holds about you"), "/apagarmeusdados")(
        erase_request
    )
    router.button(EraseDecision)(erase_button)
