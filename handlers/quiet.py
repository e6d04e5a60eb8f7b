"""/silencio: when the bot keeps quiet, and how many automatic messages an hour (issue 9 §7)."""

from __future__ import annotations

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Reply
from bot.router import Context, Router
from bot.rules import quiet as rules
from bot.rules.names import name_key
from storage.models import Network

EXAMPLE = "/silencio 20h 7h"
MAX_CAP = 20
YES = {"sim", "s", "on", "ligado"}
NO = {"nao", "n", "off", "desligado"}


def describe(network: Network) -> str:
    """The network's quiet hours in one sentence."""
    hours = rules.QuietHours(
        network.quiet_start, network.quiet_end, network.quiet_sundays, network.quiet_holidays
    )
    if hours.has_window:
        window = _("from {start} to {end}").format(
            start=rules.format_minute(hours.start), end=rules.format_minute(hours.end)
        )
    else:
        window = _("no night window")
    days = {
        (True, True): _("and on Sundays and holidays"),
        (True, False): _("and on Sundays"),
        (False, True): _("and on holidays"),
        (False, False): _("every day of the week"),
    }[(hours.sundays, hours.holidays)]
    return _(
        "🤫 Quiet hours: {window}, {days} (urgent convocations go out anyway). "
        "At most {cap} automatic messages an hour in the group; the rest in one summary."
    ).format(window=window, days=days, cap=network.hourly_cap)


def _flag(word: str) -> bool:
    key = name_key(word)
    if key in YES:
        return True
    if key in NO:
        return False
    raise UserError(N_("Answer with sim or não."), example="/silencio domingos não")


async def quiet_hours(ctx: Context) -> list[Reply]:
    words = ctx.msg.args.split()
    network = ctx.network
    if not words:
        return [
            Reply(text=describe(network) + "\n" + _("To change: {example}").format(example=EXAMPLE))
        ]
    head = name_key(words[0])
    if head in NO and len(words) == 1:
        network.quiet_start = network.quiet_end = 0
        network.quiet_sundays = network.quiet_holidays = False
    elif head in {"domingos", "domingo"} and len(words) == 2:
        network.quiet_sundays = _flag(words[1])
    elif head in {"feriados", "feriado"} and len(words) == 2:
        network.quiet_holidays = _flag(words[1])
    elif head in {"limite", "maximo"} and len(words) == 2:
        if not (words[1].isascii() and words[1].isdigit()) or not 1 <= int(words[1]) <= MAX_CAP:
            raise UserError(
                N_("The hourly limit is a number from 1 to {max}."),
                example="/silencio limite 4",
                max=MAX_CAP,
            )
        network.hourly_cap = int(words[1])
    else:
        window = rules.parse_window(" ".join(words))
        if window is None:
            raise UserError(
                N_(
                    "I didn't understand the quiet hours. Give the start and the end, "
                    "or: desligado, domingos sim/não, feriados sim/não, limite <n>."
                ),
                example=EXAMPLE,
            )
        network.quiet_start, network.quiet_end = window
    return [Reply(text="✔ " + describe(network))]


def register(router: Router) -> None:
    router.command(
        "silencio",
        N_("quiet hours of the bot and its hourly limit"),
        EXAMPLE,
        coordinator=True,
    )(quiet_hours)
