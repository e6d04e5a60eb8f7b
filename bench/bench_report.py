"""How long the annual report takes for a large year.

    .venv/bin/python bench/bench_report.py [--database-url URL]

Issue 6's large year: one network with 30 sectors, 40 meetings with presence lists,
2,000 encaminhamentos (each owed by 1-3 sectors, most answered). The rows are
written straight into the database (the handlers are exercised by the tests); the
benchmark times what /relatorio does: collecting the year, then the PDF and the XLSX.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import reports
from bot.clock import ManualClock
from bot.config import Settings
from bot.runtime import open_runtime
from bot.services.reports import collect
from storage import repo
from storage.models import Attendance, Devolutiva, Meeting, Member, Referral

NOW = datetime(2026, 12, 20, 13, 0, tzinfo=UTC)


async def build(url: str) -> tuple[object, int]:
    clock = ManualClock(NOW)
    runtime = await open_runtime(Settings(_env_file=None, database_url=url), clock)  # type: ignore[call-arg]
    rng = random.Random(6)
    async with runtime.sessions() as session, session.begin():
        network = await repo.create_network(
            session=session,
            platform="bench",
            chat_id="-1",
            title="Rede de Bench",
            timezone="America/Sao_Paulo",
            state="PR",
            locale="pt_BR",
            now=NOW,
        )
        for i in range(30 - len(repo.DEFAULT_SECTORS)):
            await repo.add_sector(session=session, network_id=network.id, name=f"Setor {i + 1}")
        sectors = list(await repo.sectors(session=session, network_id=network.id))
        members = []
        for i, sector in enumerate(sectors):
            member = Member(
                network_id=network.id,
                user_id=str(i),
                name=f"Pessoa {i}",
                sector_id=sector.id,
                is_coordinator=False,
                is_admin=False,
                created_at=NOW,
            )
            session.add(member)
            members.append(member)
        await session.flush()
        start = datetime(2026, 1, 13, 17, tzinfo=UTC)
        for m in range(40):
            meeting = Meeting(
                network_id=network.id,
                kind="ordinary" if m % 3 else "extraordinary",
                starts_at=start + timedelta(days=8 * m),
                place="CRAS",
                topic=f"Pauta {m}",
                status="scheduled",
                presence="closed",
                justification="justificativa",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(meeting)
            await session.flush()
            for member in members:
                if rng.random() < 0.7:
                    session.add(
                        Attendance(
                            meeting_id=meeting.id,
                            member_id=member.id,
                            sector_id=member.sector_id,
                            present=True,
                            marked_by="self",
                            marked_at=meeting.starts_at,
                        )
                    )
        for r in range(2000):
            created = datetime(2026, 1, 2, 13, tzinfo=UTC) + timedelta(hours=4 * r)
            owed = rng.sample(sectors, rng.randint(1, 3))
            referral = Referral(
                network_id=network.id,
                code=f"E-2026-{r + 1:04d}",
                description=f"CASO-2026-{r:04d}: acompanhamento",
                origin="adhoc",
                deadline=(created + timedelta(days=10)).date(),
                status="open",
                created_at=created,
            )
            referral.owed = [
                Devolutiva(
                    sector_id=s.id,
                    answered_at=created + timedelta(days=rng.randint(1, 20))
                    if rng.random() < 0.8
                    else None,
                    text="ok",
                )
                for s in owed
            ]
            session.add(referral)
        network_id = network.id
    return runtime, network_id


async def run(url: str) -> None:
    runtime, network_id = await build(url)
    from storage.models import Network

    async with runtime.sessions() as session:  # type: ignore[attr-defined]
        network = await session.get(Network, network_id)
        t0 = time.perf_counter()
        data = await collect(session, network, 2026, NOW)
        t1 = time.perf_counter()
    pdf = reports.report_pdf(data)
    t2 = time.perf_counter()
    xlsx = reports.report_xlsx(data)
    t3 = time.perf_counter()
    await runtime.close()  # type: ignore[attr-defined]
    print(f"machine: {platform.machine()}, python {platform.python_version()}, {url.split(':')[0]}")
    rows = f"{len(data.referrals)} referral rows, {len(data.meetings)} meetings"
    print(f"collect: {t1 - t0:.2f} s ({rows})")
    print(f"pdf:     {t2 - t1:.2f} s ({len(pdf) // 1024} KiB)")
    print(f"xlsx:    {t3 - t2:.2f} s ({len(xlsx) // 1024} KiB)")
    print(f"total:   {t3 - t0:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"))


if __name__ == "__main__":
    main()
