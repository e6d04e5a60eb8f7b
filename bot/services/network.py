"""The network's settings (zone, holidays' state, reminders, language) and its coordination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NO_EXAMPLE, UserError
from bot.i18n import N_
from bot.messages import Person
from bot.rules import dates, privacy
from bot.rules import network as network_rules
from bot.rules.network import COORDINATOR_EXAMPLE
from bot.scheduling import plan_meetings
from bot.services import members
from storage import repo
from storage.models import Member, Network

# Every future meeting is replanned when a setting of its reminders changes.
FUTURE_MEETINGS = 1000


@dataclass(frozen=True)
class Nominee:
    """Whom /coordenador names: a mention, an @username, a name typed, or the author of
    the replied message (in that order of precedence: what is typed says who)."""

    mentioned: Person | None = None
    username: str | None = None
    replied: Person | None = None
    name: str | None = None


async def coordinator_names(session: AsyncSession, network: Network) -> list[str]:
    """The members named coordinators (the group's administrators are not listed)."""
    people = await repo.members(session=session, network_id=network.id)
    return [p.name for p in people if p.is_coordinator]


async def set_coordinator(
    session: AsyncSession,
    network: Network,
    nominee: Nominee,
    *,
    add: bool,
    by: Member,
    now: datetime,
) -> tuple[Member, bool]:
    """The nominee joins (``add``) or leaves the coordination, and whether that changed
    anything (she was one already, or was not). Joining it, her declared sector counts
    from now on (the coordination is trusted: issue 13). A group administrator is of the
    coordination by being one: she is not removed here."""
    target = await _nominated(session, network, nominee, add=add, now=now)
    if not add and target.is_admin:
        raise UserError(
            N_(
                "{name} is an administrator of the group, and the group's administrators "
                "are the coordination: to remove them, take away their administration in "
                "the group."
            ),
            name=target.name,
            example=NO_EXAMPLE,
        )
    if target.is_coordinator == add or (add and target.is_admin):
        return target, False
    target.is_coordinator = add
    if add and target.pending:
        target.confirmed_at, target.confirmed_by_id = now, by.id
        await repo.presence_follows_confirmation(session=session, member=target)
    return target, True


async def _nominated(
    session: AsyncSession, network: Network, nominee: Nominee, *, add: bool, now: datetime
) -> Member:
    if nominee.mentioned is not None:
        return await members.mentioned(session, network, nominee.mentioned, COORDINATOR_EXAMPLE)
    if nominee.username is not None:
        found = await repo.member_by_username(
            session=session, network_id=network.id, username=nominee.username
        )
        if found is not None:
            return found
        if nominee.name is None or " " not in nominee.name:
            raise members.unknown_nominee(nominee.username, "+" if add else "-")
    if nominee.name:
        return await members.by_name(session, network, nominee.name, "+" if add else "-")
    if nominee.replied is not None:
        return await members.replied(session, network, nominee.replied, now)
    raise UserError(
        N_("Say who: @user or their name, or reply to their message."),
        example=COORDINATOR_EXAMPLE,
    )


async def set_timezone(session: AsyncSession, network: Network, zone: str, now: datetime) -> None:
    """The network moves to ``zone``; its future meetings keep their local wall-clock time
    (14h stays 14h in the new zone) and their reminders are replanned."""
    old, new = dates.zone(network.timezone), dates.zone(zone)
    future = await repo.next_meetings(
        session=session, network_id=network.id, after=now, limit=FUTURE_MEETINGS
    )
    for meeting in future:
        meeting.starts_at = meeting.starts_at.astimezone(old).replace(tzinfo=new)
    network.timezone = zone
    await plan_meetings(session=session, network=network, meetings=future, now=now)


async def set_reminders(
    session: AsyncSession, network: Network, minutes: list[int], now: datetime
) -> None:
    """The reminders before each meeting (minutes, largest first); the future meetings'
    reminders are replanned."""
    network.reminder_offsets = minutes
    future = await repo.next_meetings(
        session=session, network_id=network.id, after=now, limit=FUTURE_MEETINGS
    )
    await plan_meetings(session=session, network=network, meetings=future, now=now)


async def set_state(network: Network, uf: str) -> None:
    """The state whose holidays the calendar skips."""
    network.state = uf


async def set_signature(network: Network, text: str) -> None:
    """Who signs the network's e-mails (seed 001, Anexos I and II): the coordination."""
    signature = network_rules.parse_signature(text)
    privacy.screen(signature)
    network.signature = signature


async def set_language(network: Network, locale: str) -> None:
    """The language the bot speaks in this network."""
    network.locale = locale


@dataclass(frozen=True)
class ChatView:
    """What a test channel (the console) shows of its group: zone and sector names."""

    timezone: str | None
    sectors: tuple[str, ...]


async def chat_view(session: AsyncSession, platform: str, chat_id: str) -> ChatView:
    """The group's zone and sectors, or nothing yet when the bot has not met the group."""
    network = await repo.network_by_chat(session=session, platform=platform, chat_id=chat_id)
    if network is None:
        return ChatView(timezone=None, sectors=())
    sectors = await repo.sectors(session=session, network_id=network.id)
    return ChatView(timezone=network.timezone, sectors=tuple(s.name for s in sectors))
