"""/silencio: when the bot keeps quiet, and how many automatic messages an hour (issue 9 §7)."""

from __future__ import annotations

from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Reply
from bot.notify import MAX_PRIVATE
from bot.router import Context, Router
from bot.rules import quiet as rules
from bot.services import quiet as service
from storage.models import Network

EXAMPLE = "/silencio 20h 7h"


def describe(network: Network) -> str:
    """The network's quiet hours in one sentence."""
    hours = service.quiet_hours(network)
    return (
        ngettext(
            "🤫 Quiet hours: {window}, {days} (urgent convocations go out anyway). "
            "At most {cap} automatic message an hour in the group; the rest in one summary.",
            "🤫 Quiet hours: {window}, {days} (urgent convocations go out anyway). "
            "At most {cap} automatic messages an hour in the group; the rest in one summary.",
            network.hourly_cap,
        ).format(window=_window(hours), days=_days(hours), cap=network.hourly_cap)
        + " "
        + ngettext(
            "On an ordinary day, at most {n} automatic message in the group (/silencio por dia "
            "<n>); the rest comes the next day in one message. A cancellation, an urgent "
            "convocation or a meeting of the day always go.",
            "On an ordinary day, at most {n} automatic messages in the group (/silencio por dia "
            "<n>); the rest comes the next day in one message. A cancellation, an urgent "
            "convocation or a meeting of the day always go.",
            network.daily_cap,
        ).format(n=network.daily_cap)
    )


def _window(hours: rules.QuietHours) -> str:
    if not hours.has_window:
        return _("no night window")
    return _("from {start} to {end}").format(
        start=rules.format_minute(hours.start), end=rules.format_minute(hours.end)
    )


def _days(hours: rules.QuietHours) -> str:
    if hours.sundays and hours.holidays:
        return _("and on Sundays and holidays")
    if hours.sundays:
        return _("and on Sundays")
    if hours.holidays:
        return _("and on holidays")
    return _("every day of the week")


async def quiet_hours(ctx: Context) -> list[Reply]:
    words = ctx.msg.args.split()
    if not words:
        text = describe(ctx.network) + "\n" + _("To change: {example}").format(example=EXAMPLE)
        return [Reply(text=text)]
    service.change(ctx.network, rules.parse_change(words))
    return [Reply(text="✔ " + describe(ctx.network))]


# --- /coordenacao: the coordination's own chat (issue 14) --------------------------------


async def coordination(ctx: Context) -> list[Reply]:
    words = ctx.msg.args.split()
    head = words[0].lower() if words else ""
    here = ctx.msg.chat_id != ctx.network.chat_id  # this is the coordination chat
    title = ctx.network.title or _("the network")
    if head not in rules.HERE and not ctx.is_coordinator:
        # Linking is checked by the service: a coordinator of the chat linked and of the
        # network it serves.
        raise UserError(N_("Only the network's coordination can use /{name}."), name="coordenacao")
    if head in rules.HERE:
        if here:
            text = _(
                "This chat is already the coordination chat of {network}. To link it to "
                "another network: /coordenacao sair, then /coordenacao aqui again."
            )
            return [Reply(text=text.format(network=title))]
        network = await service.link_coordination_chat(
            ctx.session,
            ctx.network,
            chat_id=ctx.msg.chat_id,
            user_id=ctx.msg.sender.user_id,
            coordinates_here=ctx.is_coordinator,
            which=" ".join(words[1:]),
        )
        text = _(
            "✔ This chat is now the coordination chat of {network}: quorum warnings, "
            "digests and failed deliveries come here instead of the group. "
            "To undo: /coordenacao sair"
        )
        return [Reply(text=text.format(network=network.title or _("the network")))]
    if head in rules.LEAVE:
        if not service.unlink_coordination_chat(ctx.network):
            return [Reply(text=_("There is no coordination chat to unlink."))]
        return [
            Reply(
                text=_(
                    "✔ {network} has no coordination chat any more: its notices go privately "
                    "to a few coordinators, or to the group."
                ).format(network=title)
            )
        ]
    if here:
        text = _("This chat is the coordination chat of {network}. To unlink: /coordenacao sair")
        return [Reply(text=text.format(network=title))]
    if ctx.network.coordination_chat_id:
        text = _(
            "The coordination has its own chat: quorum warnings, digests and failed "
            "deliveries go there. To unlink: /coordenacao sair"
        )
        return [Reply(text=text)]
    text = _(
        "No coordination chat: notices for the coordination go privately to up to {n} "
        "coordinators who wrote to me, else here. To link one, add me to the coordination's "
        "chat and send /coordenacao aqui there."
    )
    return [Reply(text=text.format(n=MAX_PRIVATE))]


def register(router: Router) -> None:
    router.command(
        "silencio",
        N_("quiet hours of the bot and its hourly limit"),
        EXAMPLE,
        coordinator=True,
    )(quiet_hours)
    router.command(
        "coordenacao",
        N_("the coordination's own chat for its notices (/coordenacao aqui there)"),
        rules.COORDINATION_EXAMPLE,
    )(coordination)
