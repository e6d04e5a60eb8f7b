"""Extensions: a sector asks for more time on an encaminhamento; the coordination decides."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.rules.referrals import EXTENSION_EXAMPLE, deadline_text
from bot.services import extensions as service
from handlers.common import person


@dataclass(frozen=True)
class ExtensionDecision(ButtonData, prefix="ext"):
    """The coordination accepts or refuses a deadline extension."""

    request_id: int
    decision: Decision


async def ask_extension(ctx: Context) -> list[Reply]:
    """``/prazo E-2026-001 20/12 motivo``."""
    words = ctx.msg.args.split()
    if len(words) < 3:
        raise UserError(
            N_("Write the code, the new date and the reason."), example=EXTENSION_EXAMPLE
        )
    asked = await service.ask(
        ctx.session,
        ctx.network,
        ctx.member,
        now=ctx.now,
        code=words[0],
        day=words[1],
        reason=" ".join(words[2:]),
    )
    return [_question(asked)]


def _question(asked: service.Asked) -> Reply:
    """The request, for the coordination to accept or refuse."""
    request = asked.request
    text = _(
        "⏳ {sector} asks for more time on {code}: until {day}.\nReason: {reason}\n"
        "Coordination, do you accept?"
    ).format(
        sector=asked.owed.sector.name,
        code=asked.referral.code,
        day=deadline_text(request.new_deadline),
        reason=request.reason,
    )
    accept = ExtensionDecision(request.id, Decision.OK).encode()
    refuse = ExtensionDecision(request.id, Decision.NO).encode()
    return Reply(
        text=text,
        buttons=((Button(_("✅ Accept"), accept), Button(_("✖ Refuse"), refuse)),),
        mentions=tuple(person(m) for m in asked.coordinators),
    )


async def extension_button(ctx: Context, press: ExtensionDecision) -> list[Reply]:
    decided = await service.decide(
        ctx.session,
        ctx.network,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        request_id=press.request_id,
        accept=press.decision is Decision.OK,
    )
    return [Reply(text=_decision_text(decided), edit=True)]


def _decision_text(decided: service.Decided) -> str:
    if decided.accepted:
        text = _("✅ New deadline for {sector} on {code}: {day}.")
    else:
        text = _("✖ The deadline of {sector} on {code} stays {day}.")
    return text.format(
        sector=decided.owed.sector.name, code=decided.referral.code, day=deadline_text(decided.due)
    )


def register(router: Router) -> None:
    router.command("prazo", N_("ask for more time on an encaminhamento"), EXTENSION_EXAMPLE)(
        ask_extension
    )
    router.button(ExtensionDecision)(extension_button)
