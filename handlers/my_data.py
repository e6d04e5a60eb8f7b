"""A member sees and erases what the bot holds about them (LGPD art. 18, PRODUCT.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.buttons import ButtonData, Decision
from bot.i18n import N_, Np_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, ChatKind, OutFile, Reply
from bot.router import Context, PrivateContext, Router
from bot.rules import dates
from bot.rules.personal_data import MyData, to_json
from bot.rules.retention import DEFAULT
from bot.services import personal_data as service
from handlers.common import person

# Codes and dates listed in the summary before "…" (the file has them all).
LISTED = 8


async def my_data(ctx: Context) -> list[Reply]:
    data = await service.export(ctx.session, ctx.network, ctx.member)
    content = json.dumps(to_json(data), ensure_ascii=False, indent=2).encode()
    text = summary(data) + "\n\n" + _("All of it in detail (JSON). To erase it: /apagarmeusdados")
    return [
        # One reply with the file: if the private chat fails, the Courier never shows a
        # reply that carries a file in the group (only a line asking for /start).
        Reply(
            text=text,
            file=OutFile("meus-dados.json", content, "application/json"),
            to_user=person(ctx.member),
        ),
        Reply(
            text=_("{name}, I sent your data in private.").format(name=ctx.member.name),
            after_private=True,  # else the group reads only the line asking for /start
        ),
    ]


async def my_data_private(pctx: PrivateContext) -> list[Reply]:
    """``/meusdados`` in the private chat: every network at once, for someone who left
    the group too (one summary each, one file)."""
    if not pctx.places:
        return [Reply(text=_nothing_held())]
    summaries: list[str] = []
    files: list[dict[str, Any]] = []

    async def one(ctx: Context) -> list[Reply]:
        data = await service.export(ctx.session, ctx.network, ctx.member)
        # Every network is listed here: the line pointing to the other groups is not.
        summaries.append(summary(replace(data, other_networks=())))
        files.append(to_json(data))
        return []

    await pctx.each(one)
    exported = {"redes": files}
    content = json.dumps(exported, ensure_ascii=False, indent=2).encode()
    text = "\n\n".join(summaries)
    text += "\n\n" + _("All of it in detail (JSON). To erase it: /apagarmeusdados")
    return [Reply(text=text, file=OutFile("meus-dados.json", content, "application/json"))]


def _nothing_held() -> str:
    days = DEFAULT.stray_contacts.days
    return ngettext(
        "I hold nothing about you in any network's group: you are a member of none where I "
        "am. That you wrote to me here is kept only to answer you, and is forgotten after "
        "{n} day if you join no network.",
        "I hold nothing about you in any network's group: you are a member of none where I "
        "am. That you wrote to me here is kept only to answer you, and is forgotten after "
        "{n} days if you join no network.",
        days,
    ).format(n=days)


def _day(instant: datetime, tz: str) -> str:
    return dates.format_date(instant.astimezone(dates.zone(tz)).date(), with_year=True)


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:LISTED])
    return shown + (", …" if len(items) > LISTED else "")


def summary(data: MyData) -> str:
    """What the bot holds about the person, in a few lines for a phone."""
    tz = data.timezone
    lines = [
        _("📋 What I hold about you in {network}").format(
            network=data.network or _("Rede de Proteção Social")
        ),
        "",
        _("Name: {name}").format(name=data.name),
    ]
    if data.username:
        lines.append(_("Username: @{username}").format(username=data.username))
    lines.append(_("Sector: {sector}").format(sector=data.sector or _("none yet")))
    if data.coordinator or data.admin:
        lines.append(_("Role: coordination"))
    lines.append(_("Known here since {date}").format(date=_day(data.since, tz)))
    if data.private_chat_since is not None:
        lines.append(
            _("Private chat with me since {date} (for your private notices)").format(
                date=_day(data.private_chat_since, tz)
            )
        )
    if data.other_ids:
        n = len(data.other_ids)
        lines.append(
            ngettext(
                "{n} other id of yours on this platform (on WhatsApp, your phone number)",
                "{n} other ids of yours on this platform (on WhatsApp, your phone number)",
                n,
            ).format(n=n)
        )
    if data.other_networks:
        lines.append(
            _("Also in: {networks} (send /meusdados in each group)").format(
                networks=_listed(list(data.other_networks))
            )
        )
    lines += ["", _("What you recorded here:"), *_recorded(data)]
    lines += ["", _("How long I keep it:"), *_kept(data)]
    return "\n".join(lines)


def _recorded(data: MyData) -> list[str]:
    if not data.authored_anything:
        return ["• " + _("nothing yet")]
    tz = data.timezone
    lines = []
    if data.answers:
        counts = data.answer_counts()
        lines.append(
            "• "
            + ngettext(
                "{n} answer to meetings ({yes} yes, {no} no, {maybe} maybe; {reasons} with "
                "a reason)",
                "{n} answers to meetings ({yes} yes, {no} no, {maybe} maybe; {reasons} with "
                "a reason)",
                len(data.answers),
            ).format(
                n=len(data.answers),
                yes=counts["yes"],
                no=counts["no"],
                maybe=counts["maybe"],
                reasons=data.reasons,
            )
        )
    if data.presences:
        lines.append(
            "• "
            + ngettext(
                "{n} presence at a meeting", "{n} presences at meetings", data.present
            ).format(n=data.present)
        )
    listed = (
        (
            Np_("{n} devolutiva delivered: {items}", "{n} devolutivas delivered: {items}"),
            [d.code for d in data.devolutivas],
        ),
        (
            Np_(
                "{n} ata delivered (meeting of {items})", "{n} atas delivered (meetings of {items})"
            ),
            [_day(a.meeting_at, tz) for a in data.atas],
        ),
        (
            Np_(
                "{n} encaminhamento registered: {items}", "{n} encaminhamentos registered: {items}"
            ),
            [r.code for r in data.referrals],
        ),
        (
            Np_("{n} encaminhamento deleted: {items}", "{n} encaminhamentos deleted: {items}"),
            [r.code for r in data.deleted_referrals],
        ),
        (
            Np_("{n} request for more time: {items}", "{n} requests for more time: {items}"),
            [e.code for e in data.extensions],
        ),
        (
            Np_("{n} meeting convened ({items})", "{n} meetings convened ({items})"),
            [_day(m.starts_at, tz) for m in data.convened],
        ),
        (
            Np_(
                "{n} version of a flow document sent or approved: {items}",
                "{n} versions of flow documents sent or approved: {items}",
            ),
            [f"{f.document} v{f.version}" for f in data.flows],
        ),
        (
            Np_(
                "{n} case you opened or updated: {items}",
                "{n} cases you opened or updated: {items}",
            ),
            list(dict.fromkeys(c.code for c in data.cases)),
        ),
    )
    for message, items in listed:
        if items:
            counted = ngettext(*message, len(items))
            lines.append("• " + counted.format(n=len(items), items=_listed(items)))
    return lines


def _kept(data: MyData) -> list[str]:
    sector = data.sector or _("your sector")
    days = DEFAULT.deliveries.days
    return [
        "• "
        + _(
            "Your name, username, sector, role, answers and their reasons: until you erase "
            "them (/apagarmeusdados)."
        ),
        "• "
        + _(
            "The private chat and your other ids: until you erase your data in your last "
            "network on this platform."
        ),
        "• "
        + _(
            "Presences, devolutivas, atas, encaminhamentos and convocations are the network's "
            'records and stay; once you erase your data they say "representative of '
            '{sector}", not your name.'
        ).format(sector=sector),
        "• "
        + ngettext(
            "Messages I sent that name you, previews and questions: {n} day.",
            "Messages I sent that name you, previews and questions: {n} days.",
            days,
        ).format(n=days),
    ]


# --- erasure -----------------------------------------------------------------------------


async def erase_request(ctx: Context) -> list[Reply]:
    sector = ctx.member.sector.name if ctx.member.sector else None
    stays = (
        _(
            "The network's records stay (presences, devolutivas, atas, encaminhamentos, "
            'convocations), naming "representative of {sector}" instead of you.'
        ).format(sector=sector)
        if sector
        else _(
            "The network's records stay (devolutivas, atas, encaminhamentos, convocations), "
            "without your name."
        )
    )
    text = "\n".join(
        [
            *_in_private(ctx),
            _("{name}, erase what I hold about you in this network?").format(name=ctx.member.name),
            _(
                "Goes: your name, username, sector, role, your answers to meetings and their "
                "reasons, your previews; the private chat and your other ids if this is your "
                "last network here."
            ),
            stays,
        ]
    )
    return [Reply(text=text, buttons=(_erase_buttons(ctx.member.id),))]


async def erase_request_private(pctx: PrivateContext) -> list[Reply]:
    """``/apagarmeusdados`` in the private chat: the same question for each network,
    each with its own buttons (someone who left a group still reaches their data)."""
    if not pctx.places:
        return [Reply(text=_nothing_held())]
    return await pctx.each(erase_request)


def _in_private(ctx: Context) -> list[str]:
    """In the private chat the person may be in several networks: say which one."""
    if ctx.msg.chat_kind is not ChatKind.PRIVATE:
        return []
    network = ctx.network.title or _("Rede de Proteção Social")
    if ctx.member.sector is None:
        return [_("📋 {network}").format(network=network)]
    # Two networks may share a name: the sector the person speaks for there tells them apart.
    return [
        _("📋 {network} (you: {sector})").format(network=network, sector=ctx.member.sector.name)
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
    sector = await service.answer_erasure(
        ctx.session,
        ctx.network,
        ctx.member,
        asked_by_id=press.member_id,
        erase=press.decision is Decision.OK,
    )
    if sector is None:
        return [Reply(text="\n".join([*_in_private(ctx), _("Nothing was erased.")]), edit=True)]
    records = (
        _('The network\'s records now say "representative of {sector}".').format(sector=sector)
        if sector
        else _("The network's records stay, without your name.")
    )
    text = "\n".join(
        [
            *_in_private(ctx),
            _("Done: I erased what I held about you in this network."),
            records,
            _(
                "If you use the bot in that network's group again, it will know you anew "
                "(send /setor there again)."
            )
            if ctx.msg.chat_kind is ChatKind.PRIVATE
            else _("If you use the bot here again, it will know you anew (send /setor again)."),
        ]
    )
    return [Reply(text=text, edit=True)]


def register(router: Router) -> None:
    router.command("meusdados", N_("what the bot holds about you"), "/meusdados")(my_data)
    router.command("apagarmeusdados", N_("erase what the bot holds about you"), "/apagarmeusdados")(
        erase_request
    )
    router.button(EraseDecision, private=True)(erase_button)
    router.private("meusdados")(my_data_private)
    router.private("apagarmeusdados")(erase_request_private)
