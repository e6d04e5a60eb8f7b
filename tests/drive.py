"""Play a group conversation straight into the assistant (no platform), as a transcript."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.messages import Attachment, ChatKind, Incoming, Person, Reply
from bot.runtime import Runtime


@dataclass
class Group:
    """A group chat whose members type commands; ``sent`` keeps what the dispatcher sent."""

    runtime: Runtime
    chat_id: str = "-100200"
    platform: str = "test"
    sent: list[Reply] = field(default_factory=list)

    async def say(
        self,
        person: Person,
        text: str,
        *,
        attachment: Attachment | None = None,
        reply_to: Person | None = None,
    ) -> list[Reply]:
        head, _sep, args = text[1:].partition(" ") if text.startswith("/") else ("", "", "")
        return await self.runtime.redebot.handle(
            Incoming(
                platform=self.platform,
                chat_id=self.chat_id,
                chat_kind=ChatKind.GROUP,
                chat_title="Rede Teste",
                sender=person,
                text=text,
                command=head or None,
                args=args.strip(),
                attachment=attachment,
                reply_to=reply_to,
            )
        )

    async def answer(self, person: Person, text: str, replied_text: str = "") -> list[Reply]:
        """``person`` replies to the bot's message (``replied_text``) with ``text``."""
        return await self.runtime.redebot.handle(
            Incoming(
                platform=self.platform,
                chat_id=self.chat_id,
                chat_kind=ChatKind.GROUP,
                chat_title="Rede Teste",
                sender=person,
                text=text,
                reply_to_bot=True,
                replied_text=replied_text,
                admin_checked=False,
            )
        )

    async def text(self, person: Person, text: str, **kwargs: object) -> str:
        """What the group sees after ``person`` types ``text`` (all replies joined)."""
        replies = await self.say(person, text, **kwargs)  # type: ignore[arg-type]
        return "\n".join(r.text or r.notice or "" for r in replies)

    async def seat(self, person: Person, sector: str, by: Person | None = None) -> str:
        """``person`` sends ``/setor <sector>`` and the coordination (``by``, COORDINATOR
        unless said) confirms it by pressing ✅ under the declaration, as it would."""
        replies = await self.say(person, f"/setor {sector}")
        said = "\n".join(r.text for r in replies)
        claims = [r for r in replies if r.buttons]
        if claims:
            await self.press(by or COORDINATOR, claims[0].buttons[0][0].data)
        return said

    async def convene(self, person: Person, text: str) -> str:
        """``/convocar ...`` and 📣 Enviar on its preview: what the group then sees."""
        preview = [r for r in await self.say(person, text) if r.buttons]
        assert preview, "the convocation was refused"
        replies = await self.press(person, preview[0].buttons[0][0].data)
        return "\n".join(r.text or r.notice or "" for r in replies)

    async def press(self, person: Person, data: str) -> list[Reply]:
        return await self.runtime.redebot.handle(
            Incoming(
                platform=self.platform,
                chat_id=self.chat_id,
                chat_kind=ChatKind.GROUP,
                sender=person,
                button=data,
            )
        )

    def attach_dispatcher(self) -> None:
        async def send(chat_id: str, reply: Reply) -> None:
            self.sent.append(reply)

        self.runtime.attach_sender(send)


COORDINATOR = Person(user_id="1", name="Carla", username="carla", is_admin=True)
ANA = Person(user_id="2", name="Ana", username="ana")
BRUNO = Person(user_id="3", name="Bruno", username="bruno")


def file_attachment(filename: str, content: bytes) -> Attachment:
    async def fetch() -> bytes:
        return content

    return Attachment(filename=filename, mime_type=None, fetch=fetch)
