"""Console channel: try the whole bot in a terminal, with no token and no network.

You type as a member of a group; the screen shows exactly what the group would
see. Lines starting with ":" drive the console itself (who you are, files,
buttons, moving time).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.channels.base import Capabilities, InProcessChannel, Sent
from bot.clock import SystemClock
from bot.errors import UserError
from bot.messages import Attachment, Button, ChatKind, Incoming, Person, Reply
from bot.rules import dates
from bot.rules.names import name_key
from bot.runtime import Runtime
from bot.services.network import ChatView, chat_view

PLATFORM = "console"
CHAT_ID = "console-group"

HELP = """Comandos do console:
  :eu <Nome> [| Setor]  passar a ser outra pessoa (e declarar o setor), por exemplo
                        :eu Ana Paula | CRAS (sem a barra, o setor é o fim do texto
                        que for um setor conhecido: :eu Ana Paula CRAS)
  :coordenador          passar a administrar o grupo (ou deixar de administrar)
  :arquivo <caminho> [/legenda ...]   mandar um arquivo, por exemplo
                        :arquivo calendario.csv /importar 2026
  :botao <n>            tocar no botão n da última mensagem com botões
  :botao <m>.<n>        tocar no botão n da mensagem m (o número antes do ponto)
  :avancar <7d|2h|30min>  avançar o relógio (os lembretes que vencerem são enviados)
  :agora                mostrar a data e a hora do console, no fuso da Rede
  :sair                 sair
Uma linha terminada em \\ continua na linha seguinte (para textos longos).
Todo o resto vai para o grupo, por exemplo /ajuda"""


class ShiftedClock(SystemClock):
    """Wall-clock time plus an offset the console user can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Persona:
    name: str = "Coordenação"
    is_admin: bool = True

    @property
    def user_id(self) -> str:
        return "console:" + name_key(self.name).replace(" ", "-")


@dataclass
class ConsoleChannel(InProcessChannel):
    runtime: Runtime
    clock: ShiftedClock
    out: TextIO = sys.stdout
    persona: Persona = field(default_factory=Persona)
    buttons: list[Button] = field(default_factory=list)
    # Every message that had buttons, by its number (:botao <m>.<n>).
    button_messages: dict[int, list[Button]] = field(default_factory=dict)
    files_dir: Path = field(default_factory=lambda: Path("console-files"))
    # Who was made an administrator with :coordenador, remembered across :eu switches.
    admins: set[str] = field(default_factory=lambda: {"Coordenação"})
    _message_ids: int = 0
    _wake: Callable[[], None] = lambda: None

    platform = PLATFORM
    # A terminal has no message length limit.
    capabilities = Capabilities(max_text=1_000_000, max_caption=1_000_000)

    async def deliver(self, chat_id: str, reply: Reply, origin: Incoming | None = None) -> Sent:
        self.show(reply)
        return Sent()

    def show(self, reply: Reply, *, where: str = "grupo") -> None:
        target = f"privado para {reply.to_user.name}" if reply.to_user else where
        label = "editado" if reply.edit else target
        if reply.notice:
            print(f"  [aviso] {reply.notice}", file=self.out)
        if reply.text:
            text = reply.text
            if reply.mentions:
                text += "\n" + ", ".join("@" + p.name for p in reply.mentions)
            print(f"[{label}] redebot:", file=self.out)
            for line in text.splitlines():
                print(f"  {line}", file=self.out)
        if reply.file is not None:
            self.files_dir.mkdir(exist_ok=True)
            path = self.files_dir / reply.file.filename
            path.write_bytes(reply.file.content)
            print(f"  [arquivo] {path}", file=self.out)
        if reply.buttons:
            self.buttons = [b for row in reply.buttons for b in row]
            number = len(self.button_messages) + 1
            self.button_messages[number] = self.buttons
            shown = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(self.buttons, 1))
            print(f"  {shown}   (:botao <n>, ou :botao {number}.<n> depois)", file=self.out)

    def _incoming(self, **fields: object) -> Incoming:
        self._message_ids += 1
        sender = Person(
            user_id=self.persona.user_id, name=self.persona.name, is_admin=self.persona.is_admin
        )
        return Incoming(
            platform=PLATFORM,
            chat_id=CHAT_ID,
            chat_kind=ChatKind.GROUP,
            chat_title="Rede (console)",
            sender=sender,
            message_id=str(self._message_ids),
            **fields,  # type: ignore[arg-type]
        )

    async def say(self, text: str, attachment: Attachment | None = None) -> None:
        command, args = None, ""
        if text.startswith("/"):
            head, _sep, args = text[1:].partition(" ")
            command = head.lower()
        # Everything typed here is said to the bot (a plain line answers its question).
        plain = {} if command else {"reply_to_bot": True, "admin_checked": False}
        await self.runtime.redebot.respond(
            self._incoming(
                text=text, command=command, args=args.strip(), attachment=attachment, **plain
            )
        )

    async def line(self, raw: str) -> bool:
        """Handle one typed line; False to quit."""
        text = raw.strip()
        if not text:
            return True
        if not text.startswith(":"):
            await self.say(text)
            return True
        verb, _sep, rest = text[1:].partition(" ")
        verb = verb.lower()
        if verb in {"sair", "quit", "q"}:
            return False
        if verb == "eu":
            await self._become(rest)
        elif verb == "coordenador":
            self.persona.is_admin = not self.persona.is_admin
            self.admins ^= {self.persona.name}
            state = "administra o grupo" if self.persona.is_admin else "não administra o grupo"
            print(f"  (agora você {state})", file=self.out)
        elif verb == "arquivo":
            await self._file(rest)
        elif verb == "botao":
            await self._press(rest)
        elif verb == "avancar":
            await self._advance(rest)
        elif verb == "agora":
            print(f"  {await self._now()}", file=self.out)
        else:
            print(HELP, file=self.out)
        return True

    async def _view(self) -> ChatView:
        async with self.runtime.sessions() as session:
            return await chat_view(session, PLATFORM, CHAT_ID)

    async def _become(self, rest: str) -> None:
        name, sector = split_persona(rest, (await self._view()).sectors)
        if not name:
            print("  Exemplo: :eu Ana Paula | CRAS", file=self.out)
            return
        self.persona = Persona(name=name, is_admin=name in self.admins)
        print(f"  (agora você é {name})", file=self.out)
        if sector:
            await self.say("/setor " + sector)

    async def _file(self, rest: str) -> None:
        path_text, _sep, caption = rest.partition(" ")
        path = Path(path_text)
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except OSError:
            print(f"  Arquivo não encontrado: {path_text}", file=self.out)
            return

        async def fetch() -> bytes:
            return content

        await self.say(caption.strip() or "/importar", Attachment(path.name, None, fetch))

    async def _press(self, rest: str) -> None:
        button = self._button(rest.strip())
        if button is None:
            print("  Não há esse botão. Exemplo: :botao 1 ou :botao 2.1", file=self.out)
            return
        replies = await self.runtime.redebot.respond(self._incoming(button=button.data))
        # A press refused with only a popup (Telegram's alert) sends no message: show it.
        for reply in replies:
            if reply.notice and not reply.text and reply.file is None:
                print(f"  [aviso] {reply.notice}", file=self.out)

    def _button(self, text: str) -> Button | None:
        """``n``: button n of the last message with buttons; ``m.n``: of message m."""
        message, _dot, index = text.rpartition(".")
        if not index.isdigit() or (message and not message.isdigit()):
            return None
        buttons = self.button_messages.get(int(message)) if message else self.buttons
        if not buttons or not 1 <= int(index) <= len(buttons):
            return None
        return buttons[int(index) - 1]

    async def _now(self) -> str:
        zone = (await self._view()).timezone or self.runtime.settings.default_timezone
        return dates.format_when(self.clock.now(), zone, with_year=True)

    async def _advance(self, rest: str) -> None:
        try:
            delta = dates.parse_offset(rest.strip())
        except UserError as error:
            print("  " + error.render().replace("/lembretes 3d 1h", ":avancar 3d"), file=self.out)
            return
        self.clock.offset += delta
        print(f"  (agora: {await self._now()})", file=self.out)
        if self.runtime.dispatcher is not None:
            await self.runtime.dispatcher.run_due()


async def read_line(stdin: TextIO) -> str:
    """One typed line; a line ending in a backslash goes on in the next one (a terminal
    cuts a single typed line at 4 KB, and long texts such as an ata need more)."""
    parts: list[str] = []
    while True:
        raw = await asyncio.to_thread(stdin.readline)
        if not raw:
            return "\n".join(parts)
        line = raw.rstrip("\r\n")
        if not line.endswith("\\"):
            parts.append(line)
            return "\n".join(parts) + "\n"
        parts.append(line[:-1])


def split_persona(text: str, sectors: Sequence[str]) -> tuple[str, str]:
    """``Ana Paula | CRAS`` or ``Ana Paula CRAS``: the name and the sector typed after it.

    Without a bar, the sector is the longest end of the text that is a known sector;
    with no known sector there, two words are a name and an abbreviation ("Ana PM"),
    and other words are all the name."""
    if "|" in text:
        name, _bar, sector = text.partition("|")
        return " ".join(name.split()), " ".join(sector.split())
    words = text.split()
    known = {name_key(s) for s in sectors}
    for start in range(1, len(words)):
        if name_key(" ".join(words[start:])) in known:
            return " ".join(words[:start]), " ".join(words[start:])
    # Two words are a name and a sector when the sectors are not known yet, or the
    # second is an abbreviation ("Ana PM"); "Ana Paula" is a name.
    if len(words) == 2 and (not sectors or words[1].isupper()):
        return words[0], words[1]
    return " ".join(words), ""


async def run_console(runtime: Runtime, clock: ShiftedClock, stdin: TextIO = sys.stdin) -> None:
    channel = ConsoleChannel(runtime=runtime, clock=clock)
    runtime.add_channel(channel)
    dispatcher = runtime.start_dispatcher()
    loop_task = asyncio.create_task(dispatcher.run_forever())
    print("redebot — console. Você é a Coordenação (administradora do grupo).", file=channel.out)
    print("Digite /ajuda, ou :ajuda para os comandos do console.", file=channel.out)
    try:
        while True:
            raw = await read_line(stdin)
            if not raw or not await channel.line(raw):
                break
    finally:
        loop_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop_task
