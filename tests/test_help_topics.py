"""/ajuda groups every command by what people do: a new command needs its topic."""

from __future__ import annotations

from bot.wiring import build_router
from handlers.admin import TOPICS


def test_every_command_has_a_topic_in_ajuda() -> None:
    router = build_router()
    listed = {name for _title, names in TOPICS for name in names}
    # Aliases (/comandos, /reuniao…) are listed apart, at the end of /ajuda.
    unlisted = sorted(
        name
        for name in router.commands
        if name not in listed and name not in router.aliases and name not in {"start", "ajuda"}
    )
    assert unlisted == []
    assert not listed - set(router.commands)  # no topic names a command that is gone
