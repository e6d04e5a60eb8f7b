"""/silencio: when the bot keeps quiet, and how many automatic messages an hour (issue 9 §7)."""

from __future__ import annotations

from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Reply
from bot.router import Context, Router
from bot.rules import quiet as rules
from bot.services import quiet as service
from storage.models import Network

EXAMPLE = "/silencio 20h 7h"


def describe(network: Network) -> str:
    """The network's quiet hours in one sentence."""
    hours = service.quiet_hours(network)
    return ngettext(
        "🤫 Quiet hours: {window}, {days} (urgent convocations go out anyway). "
        "At most {cap} automatic message an hour in the group; the rest in one summary.",
        "🤫 Quiet hours: {window}, {days} (urgent convocations go out anyway). "
        "At most {cap} automatic messages an hour in the group; the rest in one summary.",
        network.hourly_cap,
    ).format(window=_window(hours), days=_days(hours), cap=network.hourly_cap)


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


def register(router: Router) -> None:
    router.command(
        "silencio",
        N_("quiet hours of the bot and its hourly limit"),
        EXAMPLE,
        coordinator=True,
    )(quiet_hours)
