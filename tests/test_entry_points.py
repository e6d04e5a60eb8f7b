"""The `redebot` command and the console channel, used the way a person would."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.__main__ import main, serve, serve_telegram
from bot.channels.console import ConsoleChannel, ShiftedClock
from bot.runtime import open_runtime
from tests.conftest import make_settings
from tests.fakes.bot_api import FakeBotApi, FakeUser

GROUP = -4242
CARLA = FakeUser(7, "Carla", username="carla")


def test_without_a_token_redebot_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in err and "redebot console" in err


def test_a_placeholder_token_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "changeme")
    assert main([]) == 2
    assert "placeholder" in capsys.readouterr().err


async def test_serve_answers_a_group_and_serves_health(sqlite_url: str) -> None:
    async with FakeBotApi() as api:
        settings = make_settings(
            sqlite_url,
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_api_file_url=api.base_file_url,
            http_host="127.0.0.1",
            http_port=0,
        )
        stop = asyncio.Event()
        server = asyncio.create_task(serve_telegram(settings, stop))
        await api.wait_for_call("setMyCommands")
        api.bot_added_to_group(GROUP, CARLA)
        greeting = await api.wait_for_message(GROUP)
        assert "Olá, Rede!" in greeting["text"]
        api.group_message(GROUP, CARLA, "/proxima")
        answer = await api.wait_for_message(GROUP, "Não há reunião marcada")
        assert "/gerarcalendario" in answer["text"]
        stop.set()
        await asyncio.wait_for(server, timeout=10)


async def test_a_receiver_and_a_worker_share_one_database(sqlite_url: str) -> None:
    """`redebot serve --no-worker` answers the group; `redebot worker` only sends what is due."""
    async with FakeBotApi() as api:
        common = {
            "telegram_bot_token": api.token,
            "telegram_api_base_url": api.base_url,
            "telegram_api_file_url": api.base_file_url,
            "http_host": "127.0.0.1",
            "http_port": 0,
        }
        receiver_stop, worker_stop = asyncio.Event(), asyncio.Event()
        receiver = asyncio.create_task(
            serve(make_settings(sqlite_url, **common), receiver_stop, dispatch=False)
        )
        await api.wait_for_call("setMyCommands")
        worker = asyncio.create_task(
            serve(make_settings(sqlite_url, **common), worker_stop, receive=False)
        )
        for _ in range(500):  # the worker has connected (its own getMe)
            if len(api.calls_of("getMe")) == 2:
                break
            await asyncio.sleep(0.01)
        api.bot_added_to_group(GROUP, CARLA)
        await api.wait_for_message(GROUP, "Olá, Rede!")
        mark = api.mark()
        api.group_message(GROUP, CARLA, "/proxima")
        await api.wait_for_message(GROUP, "Não há reunião marcada", since=mark)
        worker_stop.set()
        await asyncio.wait_for(worker, timeout=10)
        receiver_stop.set()
        await asyncio.wait_for(receiver, timeout=10)
        # Both connected (getMe); only the receiver set up long polling (deleteWebhook,
        # then getUpdates): Telegram would refuse a second poller with 409.
        assert len(api.calls_of("getMe")) == 2
        assert len(api.calls_of("deleteWebhook")) == 1


async def test_the_console_plays_a_whole_session(sqlite_url: str, tmp_path: Path) -> None:
    clock = ShiftedClock()
    runtime = await open_runtime(make_settings(sqlite_url), clock)
    out = io.StringIO()
    console = ConsoleChannel(runtime=runtime, clock=clock, out=out, files_dir=tmp_path / "files")
    runtime.add_channel(console)
    runtime.start_dispatcher()
    year = clock.now().year + 1
    table = tmp_path / "calendario.csv"
    table.write_text(
        "Mês;Data;Horário;Local;Observações\nMarço;;14h;CRAS;Casos complexos\n", encoding="utf-8"
    )
    try:
        for line in [
            f"/gerarcalendario {year} 2ª terça 14h CRAS",
            ":botao 1",
            ":eu Ana Saúde",
            "/proxima",
            "/gerarcalendario 2027 2ª terça 14h CRAS",
            ":botao 1",  # Ana confirming herself: refused in a popup
            ":coordenador",
            f":arquivo {table} /importar {year} 2ª terça 14h CRAS",
            ":botao 9",
            ":botao 1",
            "/ics",
            ":eu Coordenação",
            "/setores pendentes",
            ":botao 1",
            ":eu Carla",
            ":eu Ana",
            "/lembretes",
            ":avancar 400d",
            ":avancar amanhã",
        ]:
            assert await console.line(line)
        assert not await console.line(":sair")
    finally:
        await runtime.close()
    text = out.getvalue()
    assert f"Calendário {year} salvo: 12 reuniões ordinárias" in text
    assert "Ana diz que representa Saúde. Coordenação: confirme pelos botões" in text
    assert "• Ana — Saúde" in text
    assert "✅ Ana representa Saúde: confirmado por Coordenação." in text
    assert "📌 Próxima reunião" in text
    assert "Só a coordenação da Rede pode usar /gerarcalendario." in text
    assert "  [aviso] Só a coordenação da Rede pode confirmar quem representa" in text
    assert "Casos complexos" in text and "Não há esse botão" in text
    assert f"Calendário {year} salvo: 1 reunião ordinária." in text
    assert (tmp_path / "files" / "rede-calendario.ics").exists()
    assert "Exemplo: :avancar 3d" in text
    assert clock.offset == timedelta(days=400)
    # Ana was made an administrator with :coordenador and stays one after :eu switches.
    assert "Lembretes antes de cada reunião" in text


@pytest.mark.parametrize("path", ["/healthz"])
async def test_health_endpoint(sqlite_url: str, path: str) -> None:
    from bot.clock import SystemClock
    from bot.http import make_http_app, start_http

    runtime = await open_runtime(make_settings(sqlite_url), SystemClock())
    runner = await start_http(
        make_http_app(sessions=runtime.sessions, now=SystemClock().now, router=runtime.router),
        "127.0.0.1",
        0,
    )
    try:
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as r:
            assert (r.status, await r.text()) == (200, "ok")
    finally:
        await runner.cleanup()
        await runtime.close()


async def test_one_process_serves_telegram_and_whatsapp_each_network_on_its_own(
    sqlite_url: str,
) -> None:
    from tests.fakes.evolution import FakeEvolution
    from tests.net import free_port
    from tests.whatsapp_harness import ANA as WA_ANA
    from tests.whatsapp_harness import CARLA as WA_CARLA
    from tests.whatsapp_harness import GROUP as WA_GROUP
    from tests.whatsapp_harness import whatsapp_settings

    async with FakeBotApi() as api, FakeEvolution() as bridge:
        bridge.add_group(WA_GROUP, "Rede de Palmital", [WA_ANA, WA_CARLA], admins=(WA_CARLA,))
        port = await free_port()
        settings = make_settings(
            sqlite_url,
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_api_file_url=api.base_file_url,
            http_host="127.0.0.1",
            http_port=port,
            **whatsapp_settings(
                bridge,
                port,
                # Real time here: no pauses between messages in this test.
                whatsapp_group_interval_seconds=0,
                whatsapp_jitter_min_seconds=0,
                whatsapp_jitter_max_seconds=0,
            ),
        )
        stop = asyncio.Event()
        server = asyncio.create_task(serve(settings, stop))
        await api.wait_for_call("setMyCommands")
        for _ in range(200):
            if bridge.webhook is not None:
                break
            await asyncio.sleep(0.01)
        assert bridge.webhook is not None
        assert bridge.webhook["url"] == f"http://127.0.0.1:{port}/whatsapp/webhook"
        assert await bridge.add_bot(WA_GROUP, WA_CARLA) == 200
        api.bot_added_to_group(GROUP, CARLA)
        await api.wait_for_message(GROUP)
        assert await bridge.say(WA_GROUP, WA_ANA, "/proxima") == 200
        for _ in range(300):
            if len(bridge.sent) >= 2:
                break
            await asyncio.sleep(0.01)
        texts = [s.text for s in bridge.sent]
        assert "Olá, Rede!" in texts[0] and "Não há reunião marcada" in texts[1]
        # Health on the same port as the webhook.
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
        stop.set()
        await asyncio.wait_for(server, timeout=10)
    runtime = await open_runtime(make_settings(sqlite_url), ShiftedClock())
    try:
        from sqlalchemy import select

        from storage.models import Network

        async with runtime.sessions() as session:
            platforms = sorted((await session.scalars(select(Network.platform))).all())
        assert platforms == ["telegram", "whatsapp"]
    finally:
        await runtime.close()


def test_with_only_whatsapp_settings_redebot_does_not_ask_for_a_telegram_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("WHATSAPP_PROVIDER", "evolution")
    assert main([]) == 2  # incomplete WhatsApp settings: said before anything starts
    err = capsys.readouterr().err
    assert "WHATSAPP_API_URL" in err and "WHATSAPP_WEBHOOK_SECRET" in err
