"""A member sees and erases what the bot holds about them (LGPD, PRODUCT.md)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.router import Context, Router, button_data
from handlers.common import person
from storage import repo
from storage.models import Attendance, Contact, Devolutiva, Meeting, Referral, Rsvp


async def my_data(ctx: Context) -> list[Reply]:
    member = ctx.member
    rsvps = (
        await ctx.session.execute(
            select(Rsvp, Meeting)
            .join(Meeting, Meeting.id == Rsvp.meeting_id)
            .where(Rsvp.member_id == member.id)
        )
    ).all()
    presence = (
        await ctx.session.execute(
            select(Attendance, Meeting)
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Attendance.member_id == member.id)
        )
    ).all()
    answers = (
        await ctx.session.execute(
            select(Devolutiva, Referral)
            .join(Referral, Referral.id == Devolutiva.referral_id)
            .where(Devolutiva.answered_by_id == member.id)
        )
    ).all()
    contact = await ctx.session.get(Contact, (ctx.network.platform, member.user_id))
    data: dict[str, Any] = {
        "network": ctx.network.title,
        "name": member.name,
        "username": member.username,
        "sector": member.sector.name if member.sector else None,
        "coordinator": member.is_coordinator,
        "since": member.created_at.isoformat(),
        "private_chat_started": contact.started_at.isoformat() if contact else None,
        "user_id": member.user_id,
        "other_ids": await repo.person_aliases(
            session=ctx.session, platform=ctx.network.platform, user_id=member.user_id
        ),
        "rsvps": [
            {"meeting": m.starts_at.isoformat(), "answer": r.answer, "reason": r.reason}
            for r, m in rsvps
        ],
        "presence": [
            {"meeting": m.starts_at.isoformat(), "present": a.present, "marked_by": a.marked_by}
            for a, m in presence
        ],
        "devolutivas": [
            {"code": r.code, "answered_at": d.answered_at.isoformat() if d.answered_at else None}
            for d, r in answers
        ],
    }
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
                    Button(_("🗑 Erase"), button_data("erase", ctx.member.id, "ok")),
                    Button(_("✖ Keep"), button_data("erase", ctx.member.id, "no")),
                ),
            ),
        )
    ]


async def erase_button(ctx: Context, args: list[str]) -> list[Reply]:
    if len(args) != 2 or not args[0].isdigit():
        raise UserError(N_("This choice is no longer valid."))
    if int(args[0]) != ctx.member.id:
        raise UserError(N_("Only the person who asked can answer this."))
    if args[1] != "ok":
        return [Reply(text=_("Nothing was erased."), edit=True)]
    await ctx.session.execute(
        delete(Contact).where(
            Contact.platform == ctx.network.platform, Contact.user_id == ctx.member.user_id
        )
    )
    await ctx.session.delete(ctx.member)
    await ctx.session.flush()
    others = await repo.members_of_user(
        session=ctx.session, platform=ctx.network.platform, user_id=ctx.member.user_id
    )
    if not others:  # the person's other ids (WhatsApp: their phone) go with the last network
        await repo.forget_person_aliases(
            session=ctx.session, platform=ctx.network.platform, user_id=ctx.member.user_id
        )
    return [Reply(text=_("Done: I erased what I held about you in this network."), edit=True)]


def register(router: Router) -> None:
    router.command("meusdados", N_("what the bot holds about you"), "/meusdados")(my_data)
    router.command("apagarmeusdados", N_("erase what the bot holds about you"), "/apagarmeusdados")(
        erase_request
    )
    router.button("erase")(erase_button)
