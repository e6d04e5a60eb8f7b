"""Secretary and ata author by rotation (seed 000 §5): named when a meeting opens,
accepted or passed on, swapped by the coordination; ``/rodizio`` explains the order."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.buttons import ButtonData, Decision
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, Reply
from bot.router import Context, Router, ScheduledContext, Scope
from bot.rules import atas as ata_rules
from bot.rules import dates
from bot.rules.attendance import ABSENCE_STREAK
from bot.rules.kinds import Kind
from bot.rules.names import first_upper, kind_name
from bot.rules.rotation import SWAP_EXAMPLE, SWAP_EXAMPLES, Standing, parse_swap, role_name
from bot.rules.sectors import find as find_sector
from bot.rules.status import RoleStatus
from bot.services import rotation
from bot.services.atas import Audience
from handlers.common import person
from storage.models import Meeting, Network, Sector


@dataclass(frozen=True)
class RoleDecision(ButtonData, prefix="role"):
    """A sector accepts or declines the secretary's or the ata's role."""

    assignment_id: int
    decision: Decision


# --- naming the roles -----------------------------------------------------------------------


async def roles_after_list(scope: Scope, meeting: Meeting) -> list[Reply]:
    """The presence list opened: the roles are named a little later, from those present."""
    due = await rotation.schedule_after_list(scope.session, scope.network, meeting, scope.now)
    if due is None:
        return []
    local = due.astimezone(ZoneInfo(scope.network.timezone))
    return [
        Reply(
            text=_(
                "📝 Secretary and ata: named at {time}, among the sectors marked present. "
                "Tap ✋ Present when you arrive."
            ).format(time=dates.format_time(local.time()))
        )
    ]


async def render_meeting_start(ctx: ScheduledContext) -> Sequence[Reply]:
    """At the start time, without a presence list, the roles wait for one a while longer."""
    await rotation.at_start(ctx.session, ctx.network, ctx.row.meeting_id)
    return []


async def render_roles(ctx: ScheduledContext) -> Sequence[Reply]:
    """Seed 000 §5: the secretary and the ata's author are named."""
    # The dispatcher commits these writes only once the messages are sent.
    opening = await rotation.assign_roles_due(ctx.session, ctx.network, ctx.row.meeting_id, ctx.now)
    return _opening(opening, ctx.network)


def _opening(opening: rotation.Opening | None, network: Network) -> list[Reply]:
    """The roles message, then the ata's draft for its author's sector."""
    if opening is None:
        return []
    replies = [roles_message(opening.roles, network)]
    if opening.ata is not None:
        replies += _to_authors(ata_rules.draft_text(opening.ata.draft), opening.ata.authors)
    # Said during the meeting, with buttons to answer: past the hourly cap too (a digest
    # would keep only its first line).
    return [dataclasses.replace(reply, urgent=True) for reply in replies]


def _to_authors(text: str, authors: Audience) -> list[Reply]:
    """In private to those who can be reached, else in the group with a mention."""
    private = [Reply(text=text, to_user=person(m)) for m in authors.private]
    return private or [Reply(text=text, mentions=tuple(person(m) for m in authors.everyone))]


def roles_message(view: rotation.RolesView, network: Network) -> Reply:
    meeting = view.meeting
    title = _("📝 {kind} of {when}").format(
        kind=first_upper(kind_name(meeting.kind)),
        when=dates.format_when(meeting.starts_at, network.timezone),
    )
    return Reply(
        text="\n".join([title, *(_role_line(line) for line in view.lines)]),
        buttons=tuple(_role_buttons(line) for line in view.lines if _is_proposed(line)),
        mentions=tuple(person(m) for m in view.mentioned),
    )


def _is_proposed(line: rotation.RoleLine) -> bool:
    return line.assignment is not None and line.assignment.status == RoleStatus.PROPOSED


def _role_line(line: rotation.RoleLine) -> str:
    role = first_upper(role_name(line.role))
    if line.assignment is None:
        return _("{role}: nobody available — coordination, use {example}").format(
            role=role, example=SWAP_EXAMPLES[line.role]
        )
    mark = " ✅" if line.assignment.status == RoleStatus.ACCEPTED else ""
    return _("{role}: {sector}{mark}").format(role=role, sector=line.sector, mark=mark)


def _role_buttons(line: rotation.RoleLine) -> tuple[Button, ...]:
    assert line.assignment is not None
    label, row_id = role_name(line.role), line.assignment.id
    return (
        Button(
            _("✅ I accept ({role})").format(role=label),
            RoleDecision(row_id, Decision.OK).encode(),
        ),
        Button(
            _("🙅 I can't ({role})").format(role=label),
            RoleDecision(row_id, Decision.NO).encode(),
        ),
    )


# --- answering and swapping -----------------------------------------------------------------


async def role_button(ctx: Context, press: RoleDecision) -> list[Reply]:
    decided = await rotation.decide(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        assignment_id=press.assignment_id,
        accept=press.decision is Decision.OK,
    )
    message = roles_message(decided.roles, ctx.network)
    notice = _("Thank you!") if decided.accepted else _("Understood.")
    edited = Reply(text=message.text, buttons=message.buttons, edit=True, notice=notice)
    return [edited] if decided.passed is None else [edited, _passed_on(decided.passed)]


def _passed_on(passed: rotation.PassedOn) -> Reply:
    """ "Não posso": the group is told where the role went."""
    role = role_name(passed.role)
    if passed.new is None:
        return Reply(
            text=_(
                "{old} can't take the {role}, and no other sector is available. "
                "Coordination: {example}"
            ).format(old=passed.old, role=role, example=SWAP_EXAMPLE)
        )
    return Reply(
        text=_("{old} can't take the {role}; it goes to {new}.").format(
            old=passed.old, role=role, new=passed.new
        ),
        mentions=tuple(person(m) for m in passed.people),
    )


async def swap(ctx: Context) -> list[Reply]:
    role, name = parse_swap(ctx.msg.args)

    def pick(sectors: Sequence[Sector]) -> Sector:
        return find_sector(sectors, name, SWAP_EXAMPLE)

    view = await rotation.swap(ctx.session, ctx.network, ctx.now, role=role, pick=pick)
    message = roles_message(view, ctx.network)
    text = _("Changed by the coordination.") + "\n" + message.text
    return [Reply(text=text, mentions=message.mentions)]


# --- the order ------------------------------------------------------------------------------


async def rotation_status(ctx: Context) -> list[Reply]:
    args = ctx.msg.args.split()
    if args:
        return await _settings(ctx, args)
    view = await rotation.standings(ctx.session, ctx.network, ctx.now)
    if not view.has_candidates:
        lines = [_("No sector has representatives yet: each member sends /setor."), ""]
    else:
        lines = [_("Rotation of secretary and ata (next first):")]
        lines += [
            f"{index}. {standing.name} — {_served(standing, view, ctx)}"
            for index, standing in enumerate(view.standings, 1)
        ]
        lines.append("")
    return [Reply(text="\n".join(lines + _setting_lines(ctx.network)))]


def _served(standing: Standing, view: rotation.RotationView, ctx: Context) -> str:
    if standing.last_served is None:
        text = _("has not served yet")
    else:
        last = standing.last_served.astimezone(ctx.tz).date()
        day = dates.format_date(last, with_year=last.year != view.year)
        if standing.count == 0:
            text = _("not yet in {year}, the last on {day}").format(year=view.year, day=day)
        else:
            text = ngettext(
                "{n} time in {year} (secretary {s}, ata {a}), the last on {day}",
                "{n} times in {year} (secretary {s}, ata {a}), the last on {day}",
                standing.count,
            ).format(
                n=standing.count, year=view.year, s=standing.secretary, a=standing.author, day=day
            )
    if standing.sector_id in view.streak:
        text += " · " + ngettext(
            "left out until it attends: missed the last meeting",
            "left out until it attends: missed the last {n} meetings",
            ABSENCE_STREAK,
        ).format(n=ABSENCE_STREAK)
    return text


def _setting_lines(network: Network) -> list[str]:
    return [
        _("One sector for both roles: {v}.").format(
            v=_("yes") if network.roles_same_sector else _("no")
        ),
        _("Coordination's sectors left out: {v}.").format(
            v=_("yes") if network.rotation_skips_coordination else _("no")
        ),
        ngettext(
            "Ata due {n} day after the meeting.",
            "Ata due {n} days after the meeting.",
            network.ata_deadline_days,
        ).format(n=network.ata_deadline_days),
    ]


async def _settings(ctx: Context, args: list[str]) -> list[Reply]:
    await rotation.change_setting(ctx.network, is_coordinator=ctx.is_coordinator, args=args)
    return [Reply(text=_("Rotation setting saved."))]


def register(router: Router) -> None:
    router.on_opened(roles_after_list)
    router.button(RoleDecision)(role_button)
    router.command(
        "trocar", N_("change the secretary or ata author"), SWAP_EXAMPLE, coordinator=True
    )(swap)
    router.command("rodizio", N_("rotation of secretary and ata author"), "/rodizio")(
        rotation_status
    )
    router.scheduled(Kind.MEETING_START, quiet=False)(render_meeting_start)
    router.scheduled(Kind.MEETING_ROLES, quiet=False)(render_roles)
