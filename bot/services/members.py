"""The member a command names: by a platform mention, an @username, her name, or by
replying to her message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.messages import Person
from bot.rules.names import name_key
from bot.rules.network import coordinator_by_name
from storage import repo
from storage.models import Member, Network


async def mentioned(session: AsyncSession, network: Network, who: Person, example: str) -> Member:
    """A mentioned person (a platform mention), who must have written in the group before."""
    found = await repo.member(session=session, network_id=network.id, user_id=who.user_id)
    if found is None:
        raise UserError(
            N_("I don't know {user} yet: ask them to send /setor in the group first."),
            example=example,
            user=who.name or "@" + who.user_id.split("@")[0],
        )
    return found


async def by_username(
    session: AsyncSession, network: Network, username: str, example: str
) -> Member:
    """The member whose platform username is ``username`` ("@ana" or "ana")."""
    found = await repo.member_by_username(session=session, network_id=network.id, username=username)
    if found is None:
        raise UserError(
            N_("I don't know {user} yet: reply to one of their messages instead."),
            example=example,
            user=username,
        )
    return found


async def by_name(session: AsyncSession, network: Network, name: str, sign: str) -> Member:
    """The member called ``name`` (accents and case ignored), or the one whose name begins
    with it ("Maria" for Maria Souza) when nobody else's does: on WhatsApp people have no
    @username, and a coordinator names them as she knows them."""
    if " " not in name.strip():  # first, a username typed without its @ ("ana_saude")
        by_login = await repo.member_by_username(
            session=session, network_id=network.id, username=name.strip()
        )
        if by_login is not None:
            return by_login
    people = await repo.members(session=session, network_id=network.id)
    key = name_key(name)
    found = [p for p in people if name_key(p.name) == key] or [
        p for p in people if name_key(p.name).startswith(key + " ")
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise UserError(
            N_(
                "More than one person is called {name}: {people}. Write the whole name, "
                "or reply to one of her messages with /coordenador {sign}."
            ),
            example=coordinator_by_name(sign),
            name=name,
            people=", ".join(Called(p).name for p in found),
            sign=sign,
        )
    raise unknown_nominee(name, sign)


def unknown_nominee(who: str, sign: str) -> UserError:
    """/coordenador names someone the bot has not seen (by name or username)."""
    return UserError(
        N_(
            "I don't know {user} yet: ask them to send /setor in the group, or reply "
            "to one of their messages with /coordenador {sign}."
        ),
        example=coordinator_by_name(sign),
        user=who,
        sign=sign,
    )


async def replied(session: AsyncSession, network: Network, who: Person, now: datetime) -> Member:
    """The author of the message a command replies to (a member from now on)."""
    return await repo.touch_member(
        session=session,
        network_id=network.id,
        user_id=who.user_id,
        name=who.name,
        username=who.username,
        now=now,
    )


@dataclass(frozen=True)
class Called:
    """A member as people name her in a command: by her name (``key``), shown with her
    sector so two people of one name can be told apart."""

    member: Member

    @property
    def key(self) -> str:
        return name_key(self.member.name)

    @property
    def name(self) -> str:
        sector = self.member.sector
        return f"{self.member.name} ({sector.name})" if sector else self.member.name


async def representatives_by_name(session: AsyncSession, network: Network) -> list[Called]:
    """The members who told their sector (/setor), to be found by their names (those
    whose declaration waits too: marked present, they count for no sector yet)."""
    people = await repo.declared(session=session, network_id=network.id)
    return [Called(member) for member in people]
