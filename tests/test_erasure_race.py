"""Two erasures of one person at once, on a real PostgreSQL server (SQLite's write lock
serialises transactions by itself): the person's last network takes their private chat
and other ids with it, whichever of the two commits last."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from storage import personal_data, repo
from storage.db import make_engine, session_factory
from storage.models import Contact, Member, Network, PersonAlias
from tests.conftest import NOW

PERSON = "219876543210003@lid"
PHONE = "5543988880003@s.whatsapp.net"


async def test_two_erasures_at_once_leave_nothing_of_the_person(
    postgres_migrated_url: str,
) -> None:
    engine = make_engine(postgres_migrated_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            for chat in ("120363040000000001@g.us", "120363040000000002@g.us"):
                network = await repo.create_network(
                    session=session,
                    platform="whatsapp",
                    chat_id=chat,
                    title="Rede",
                    timezone="America/Sao_Paulo",
                    state="PR",
                    locale="pt_BR",
                    now=NOW,
                )
                await repo.touch_member(
                    session=session,
                    network_id=network.id,
                    user_id=PERSON,
                    name="Bruno",
                    username=None,
                    now=NOW,
                )
            await repo.add_contact(session=session, platform="whatsapp", user_id=PERSON, now=NOW)
            await repo.canonical_user(
                session=session, platform="whatsapp", user_id=PERSON, aliases=[PHONE]
            )

        async def members() -> list[tuple[Network, Member]]:
            async with sessions() as session:
                rows = await session.execute(
                    select(Network, Member)
                    .join(Member, Member.network_id == Network.id)
                    .where(Member.user_id == PERSON)
                    .order_by(Network.id)
                )
                return [(n, m) for n, m in rows.all()]

        (first, first_member), (second, second_member) = await members()

        async def erase_second() -> None:
            async with sessions() as session, session.begin():
                member = await session.get(Member, second_member.id)
                assert member is not None
                await personal_data.erase(session, second, member)

        # The first erasure is done but not committed when the second one runs.
        async with sessions() as session:
            await session.begin()
            member = await session.get(Member, first_member.id)
            assert member is not None
            await personal_data.erase(session, first, member)
            other = asyncio.create_task(erase_second())
            waiting = False
            async with engine.connect() as watcher:
                for _ in range(500):
                    if other.done():
                        break
                    waiting = bool(
                        await watcher.scalar(
                            text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                        )
                    )
                    if waiting:
                        break
                    await asyncio.sleep(0.01)  # real concurrency, not the bot's time
            await session.commit()
            await other
        async with sessions() as session:
            left = {
                model.__name__: await session.scalar(select(func.count()).select_from(model))
                for model in (Member, Contact, PersonAlias)
            }
        assert left == {"Member": 0, "Contact": 0, "PersonAlias": 0}, left
        assert waiting, "the second erasure did not wait for the first"
    finally:
        await engine.dispose()
