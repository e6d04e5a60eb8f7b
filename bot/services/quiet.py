"""Quiet hours: a network's settings read and changed (/silencio, issue 9 §7)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import quiet as rules
from bot.rules.names import name_key
from storage import repo
from storage.models import Network


def quiet_hours(network: Network) -> rules.QuietHours:
    """The network's quiet window, Sundays and holidays."""
    return rules.QuietHours(
        network.quiet_start, network.quiet_end, network.quiet_sundays, network.quiet_holidays
    )


def change(network: Network, wanted: rules.QuietChange) -> None:
    """Apply one /silencio change to the network's settings."""
    if wanted.window is not None:
        network.quiet_start, network.quiet_end = wanted.window
    if wanted.sundays is not None:
        network.quiet_sundays = wanted.sundays
    if wanted.holidays is not None:
        network.quiet_holidays = wanted.holidays
    if wanted.hourly_cap is not None:
        network.hourly_cap = wanted.hourly_cap
    if wanted.daily_cap is not None:
        network.daily_cap = wanted.daily_cap


# --- the coordination chat (/coordenacao, issue 14) --------------------------------------


async def link_coordination_chat(
    session: AsyncSession,
    network: Network,
    *,
    chat_id: str,
    user_id: str,
    coordinates_here: bool,
    which: str,
) -> Network:
    """Make ``chat_id`` (where /coordenacao aqui was sent; ``network`` is what that chat
    resolved to, not linked yet) the coordination chat of the network ``user_id``
    coordinates. ``coordinates_here``: the sender coordinates (or administers) this chat.

    A network the bot's arrival created for this chat is dropped (it holds nothing); a
    chat that is a network with records of its own (meetings, referrals, plans, cases,
    flows, working groups, deadlines, seated members) is refused.
    """
    if not coordinates_here:
        raise UserError(
            N_(
                "Only a coordinator of this chat links it to a network's coordination: an "
                "administrator here who is a coordinator in the network's group."
            ),
            example=rules.COORDINATION_EXAMPLE,
        )
    if await repo.holds_records(session=session, network=network):
        raise UserError(
            N_(
                "This chat is the group of a network with records of its own: send "
                "/coordenacao aqui in the coordination's own chat instead."
            ),
            example=rules.COORDINATION_EXAMPLE,
        )
    candidates = await repo.coordinated_by(
        session=session, platform=network.platform, user_id=user_id, besides=chat_id
    )
    if which:
        wanted = name_key(which)
        candidates = [n for n in candidates if wanted in name_key(n.title)]
    if not candidates:
        raise UserError(
            N_(
                "Only a coordinator of a network links its coordination chat: send this in "
                "the coordination's chat, being a coordinator in the network's group."
            ),
            example=rules.COORDINATION_EXAMPLE,
        )
    if len(candidates) > 1:
        raise UserError(
            N_("You coordinate several networks ({names}): say which one."),
            example=rules.COORDINATION_EXAMPLE + " " + candidates[0].title,
            names=", ".join(n.title for n in candidates),
        )
    (target,) = candidates
    await repo.drop_network(session=session, network=network)  # it held nothing
    target.coordination_chat_id = chat_id
    await session.flush()
    return target


def unlink_coordination_chat(network: Network) -> bool:
    """Stop sending the coordination's messages to its chat; False if none was linked."""
    linked = network.coordination_chat_id is not None
    network.coordination_chat_id = None
    return linked
