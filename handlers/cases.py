"""Complex cases by code (issue 15): /caso (novo, revisar, risco, encerrar, reabrir,
config, the timeline), /casos, the review reminders and notices, the agenda's cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import MailOut, Reply
from bot.notify import to_coordination
from bot.router import Context, Router, ScheduledContext, Scope
from bot.rules import cases as rules
from bot.rules import dates
from bot.rules.cases import CLOSE_NAMES, RISK_NAMES, CaseStatus, CloseReason, EventKind, Risk, Sub
from bot.rules.kinds import Kind
from bot.rules.names import kind_name
from bot.rules.sectors import find as find_sector
from bot.services import cases as service
from handlers import conversation
from handlers.common import person, split_pipes
from handlers.conversation import Option, Values
from storage.models import Case, Sector

SHORT = 80
MAX_TIMELINE = 3800  # characters: under the platforms' 4,096, with room for the header


def _find(sectors: Sequence[Sector], name: str) -> Sector:
    return find_sector(sectors, name, rules.NEW_EXAMPLE)


def _day(day: date) -> str:
    return dates.format_date(day, with_year=True)


def _local_day(instant: datetime, tz: str) -> str:
    return _day(instant.astimezone(dates.zone(tz)).date())


def risk_name(risk: str) -> str:
    return _(RISK_NAMES.get(Risk(risk), RISK_NAMES[Risk.MEDIUM]))


def _short(text: str) -> str:
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _reason(reason: str | None, note: str | None) -> str:
    name = (
        _(CLOSE_NAMES.get(CloseReason(reason), CLOSE_NAMES[CloseReason.OTHER])) if reason else "—"
    )
    return f"{name}: {note}" if note else name


def case_line(case: Case, reference: str, sectors: Sequence[str]) -> str:
    """ "CASO-2026-014 — CREAS → Saúde, Educação — risco alto — revisão 15/01/2027" """
    involved = ", ".join(sectors) or "—"
    return _("{code} — {reference} → {sectors} — {risk} — review {day}").format(
        code=case.code,
        reference=reference,
        sectors=involved,
        risk=risk_name(case.risk),
        day=_day(case.next_review),
    )


# --- commands -------------------------------------------------------------------------------


async def case_command(ctx: Context) -> list[Reply]:
    """``/caso ...``: one command, its subcommands (rules.parse_command)."""
    sub, rest = rules.parse_command(ctx.msg.args)
    if sub is Sub.SHOW:
        return await _show(ctx, rest)
    if sub is Sub.NEW:
        return await new_case(ctx, rest)
    if sub is Sub.REVIEW:
        return await _review(ctx, rest)
    if sub is Sub.RISK:
        return await _risk(ctx, rest)
    if sub is Sub.CLOSE:
        return await _close(ctx, rest)
    if sub is Sub.REOPEN:
        return await _reopen(ctx, rest)
    return await _config(ctx, rest)


async def new_case(ctx: Context, args: str) -> list[Reply]:
    """``/caso novo`` in one line; without its parts (or some), step by step (issue 14)."""
    parts = split_pipes(args) if args.strip() else []
    coded = bool(parts) and rules.normal_code(parts[0].split(" ")[0]) is not None
    if not coded and (len(parts) < 4 or not all(parts[:4])):
        service.check_may_open(ctx.member, is_coordinator=ctx.is_coordinator)
        return await conversation.start(ctx, CASE_FLOW, parts)
    opened = await service.open_case(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        fields=args,
        find=_find,
    )
    case = opened.case
    text = _(
        "📁 Case {code} opened.\nReference: {reference} · involved: {sectors}\n"
        "{risk} · next review {day}\n"
        "Mention {code} in encaminhamentos, convocations and atas: they join its timeline "
        "(/caso {code})."
    ).format(
        code=case.code,
        reference=opened.reference.name,
        sectors=", ".join(s.name for s in opened.involved) or "—",
        risk=risk_name(case.risk).capitalize(),
        day=_day(case.next_review),
    )
    return [Reply(text=text, mentions=tuple(person(m) for m in opened.representatives))]


async def _show(ctx: Context, code: str) -> list[Reply]:
    view = await service.show(
        ctx.session, ctx.network, ctx.member, is_coordinator=ctx.is_coordinator, code=code
    )
    case = view.case
    state = _("open") if case.status == CaseStatus.OPEN else _("closed")
    line = _("📁 {code} ({state}) — {reference} · {risk} · next review {day}").format(
        code=case.code,
        state=state,
        reference=view.reference.name if view.reference else "—",
        risk=risk_name(case.risk),
        day=_day(case.next_review) if case.status == CaseStatus.OPEN else "—",
    )
    if not view.may_see:
        note = _(
            "Only the coordination and the representatives of the sectors involved see its "
            "timeline."
        )
        return [Reply(text=f"{line}\n{note}")]
    private = timeline_text(view, ctx.network.timezone)
    return [
        Reply(text=private, to_user=person(ctx.member), confidential=True),
        Reply(
            text=line
            + "\n"
            + _("{name}, I sent you its timeline in private.").format(name=ctx.member.name),
            after_private=True,  # else the group reads only the line asking for /start
        ),
    ]


def timeline_text(view: service.View, tz: str) -> str:
    case = view.case
    lines = [
        _("📁 {code} — timeline").format(code=case.code),
        _("Reference: {reference} · involved: {sectors}").format(
            reference=view.reference.name if view.reference else "—",
            sectors=", ".join(s.name for s in view.sectors) or "—",
        ),
        "",
    ]
    entries = [f"• {_local_day(item.at, tz)} — {_item_text(item, tz)}" for item in view.timeline]
    # One message on a phone: the newest entries when a long case's timeline overflows.
    kept = list(entries)
    while kept and len("\n".join(lines + kept)) > MAX_TIMELINE:
        kept.pop(0)
    if len(kept) < len(entries):
        n = len(entries) - len(kept)
        lines.append(ngettext("… {n} earlier entry", "… {n} earlier entries", n).format(n=n))
    return "\n".join(lines + kept)


def _item_text(item: service.Item, tz: str) -> str:
    d = item.detail
    if item.kind == EventKind.OPENED:
        return _("opened, {risk}, review on {day}").format(
            risk=risk_name(str(d.get("risk", "medium"))),
            day=_day(date.fromisoformat(str(d["review"]))),
        )
    if item.kind == EventKind.REVIEWED:
        due = d.get("due")
        day = item.at.astimezone(dates.zone(tz)).date()
        late = isinstance(due, date) and rules.is_late(day, due)
        text = _("reviewed (due {due}), next review {day}").format(
            due=_day(due) if isinstance(due, date) else "—",
            day=_day(date.fromisoformat(str(d["next"]))),
        )
        return text + (" " + _("— late") if late else "")
    if item.kind == EventKind.RISK:
        return _("risk changed: {before} → {after}").format(
            before=risk_name(str(d["before"])), after=risk_name(str(d["after"]))
        )
    if item.kind == EventKind.CLOSED:
        return _("closed: {reason}").format(reason=_reason(d.get("reason"), d.get("note")))
    if item.kind == EventKind.REOPENED:
        return _("reopened, next review {day}").format(day=_day(date.fromisoformat(str(d["next"]))))
    if item.kind == "meeting":
        text = _("on the pauta of the {kind}").format(kind=kind_name(str(d["kind"])))
        return text + (" " + _("(cancelled)") if d.get("status") == "cancelled" else "")
    if item.kind == "referral":
        text = _("encaminhamento {code} to {sectors}, deadline {day}").format(
            code=d["code"], sectors=", ".join(d["sectors"]), day=_day(d["deadline"])
        )
        return text + (" " + _("(deleted)") if d.get("status") == "deleted" else "")
    if item.kind == "devolutiva":
        return _("devolutiva of {sector} on {code}: {text}").format(
            sector=d["sector"], code=d["code"], text=_short(str(d["text"]))
        )
    return _("mentioned in the ata of the meeting")


async def _review(ctx: Context, args: str) -> list[Reply]:
    done = await service.review(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        args=args,
    )
    text = _("🔁 Review of {code} recorded. Next review: {day}.").format(
        code=done.case.code, day=_day(done.case.next_review)
    )
    return [Reply(text=text)]


async def _risk(ctx: Context, args: str) -> list[Reply]:
    case, before = await service.set_risk(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        args=args,
    )
    text = _("⚖️ {code}: {before} → {after}.").format(
        code=case.code, before=risk_name(before), after=risk_name(case.risk)
    )
    return [Reply(text=text)]


async def _close(ctx: Context, args: str) -> list[Reply]:
    case = await service.close(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        args=args,
    )
    text = _("🗂 Case {code} closed: {reason}.").format(
        code=case.code, reason=_reason(case.close_reason, case.close_note)
    )
    return [Reply(text=text)]


async def _reopen(ctx: Context, args: str) -> list[Reply]:
    case = await service.reopen(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        args=args,
    )
    text = _("📂 Case {code} reopened. Next review: {day}.").format(
        code=case.code, day=_day(case.next_review)
    )
    return [Reply(text=text)]


async def _config(ctx: Context, args: str) -> list[Reply]:
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can use /{name}."), name="caso config")
    days = await service.configure(ctx.session, ctx.network, now=ctx.now, args=args)
    text = ngettext(
        "A high-risk case without activity for {n} day is flagged to the coordination.",
        "A high-risk case without activity for {n} days is flagged to the coordination.",
        days,
    ).format(n=days)
    return [Reply(text=text)]


async def list_cases(ctx: Context) -> list[Reply]:
    if ctx.msg.args.strip():
        raise UserError(N_("/casos takes nothing after it."), example=rules.LIST_EXAMPLE)
    rows = await service.list_open(ctx.session, ctx.network)
    if not rows:
        return [Reply(text=_("No open cases. Open one with /caso novo."))]
    head = ngettext(
        "{n} open case, nearest review first:", "{n} open cases, nearest review first:", len(rows)
    )
    lines = [head.format(n=len(rows))]
    lines += [f"• {case_line(r.case, r.reference, r.sectors)}" for r in rows]
    return [Reply(text="\n".join(lines))]


# --- automatic -----------------------------------------------------------------------------


async def render_review(ctx: ScheduledContext) -> Sequence[Reply | MailOut]:
    due = await service.due_reminder(ctx.session, ctx.network, now=ctx.now, payload=ctx.row.payload)
    if due is None:
        return []
    case = due.case
    text = _("🔁 {code} is due for review today ({reference}).").format(
        code=case.code, reference=due.reference.name if due.reference else "—"
    )
    if due.meeting is not None:
        text += "\n" + _("It is on the pauta of the next ordinary meeting, {when}.").format(
            when=dates.format_when(due.meeting.starts_at, ctx.network.timezone)
        )
    text += "\n" + _("Record it with /caso revisar {code} próxima revisão dd/mm.").format(
        code=case.code
    )
    return [Reply(text=text, mentions=tuple(person(m) for m in due.representatives))]


async def render_overdue(ctx: ScheduledContext) -> Sequence[Reply | MailOut]:
    case = await service.overdue(ctx.session, ctx.network, payload=ctx.row.payload)
    if case is None:
        return []
    text = _(
        "⚠️ The review of {code} was due on {day} and has not been recorded. "
        "/caso {code} shows its timeline; /caso revisar {code} records it."
    ).format(code=case.code, day=_day(case.next_review))
    return await to_coordination(ctx.session, ctx.network, text)


async def render_idle(ctx: ScheduledContext) -> Sequence[Reply | MailOut]:
    found = await service.idle(ctx.session, ctx.network, now=ctx.now, payload=ctx.row.payload)
    if found is None:
        return []
    case, last = found
    days = ctx.network.case_inactivity_days
    text = ngettext(
        "🚩 {code} is high risk and has had no activity for {n} day (last: {day}).",
        "🚩 {code} is high risk and has had no activity for {n} days (last: {day}).",
        days,
    ).format(code=case.code, n=days, day=_local_day(last, ctx.network.timezone))
    return await to_coordination(ctx.session, ctx.network, text)


async def review_agenda(scope: Scope) -> list[str]:
    """The cases due for review by the next ordinary meeting go on its pauta."""
    _meeting, rows = await service.due_by_meeting(scope.session, scope.network, scope.now)
    if not rows:
        return []
    return [
        _("📁 Cases for review:"),
        *(f"• {case_line(r.case, r.reference, r.sectors)}" for r in rows),
    ]


# --- /caso novo step by step (issue 14) -----------------------------------------------------


async def _check_reference(ctx: Context, text: str, values: Values) -> str:
    sector = find_sector(await conversation.sectors(ctx), text, rules.NEW_EXAMPLE)
    if not rules.is_reference(sector.key):
        raise UserError(
            N_("The reference sector of a case is a CRAS or a CREAS (you chose {sector})."),
            example=rules.NEW_EXAMPLE,
            sector=sector.name,
        )
    return sector.name


async def _check_involved(ctx: Context, text: str, values: Values) -> str:
    sectors = await conversation.sectors(ctx)
    names = [
        find_sector(sectors, name, rules.NEW_EXAMPLE).name
        for name in rules.parse_sector_names(text)
    ]
    return ", ".join(dict.fromkeys(names))


async def _check_risk(ctx: Context, text: str, values: Values) -> str:
    rules.parse_risk(text)
    return text


async def _check_review(ctx: Context, text: str, values: Values) -> str:
    return service.review_day(ctx.network, ctx.now, text).strftime("%d/%m/%Y")


async def _reference_options(ctx: Context, values: Values) -> Sequence[Option]:
    sectors = await conversation.sectors(ctx)
    return [Option(s.name, s.name) for s in sectors if rules.is_reference(s.key)]


async def _risk_options(ctx: Context, values: Values) -> Sequence[Option]:
    return [Option(word, word) for word in ("baixo", "médio", "alto")]


CASE_FLOW = conversation.Flow(
    name="caso novo",
    title=N_("📁 New complex case: by its code only, never a name."),
    example=rules.NEW_EXAMPLE,
    steps=(
        conversation.Step(
            key="reference",
            field=N_("Reference sector"),
            question=N_("Which sector is the case's reference (CRAS or CREAS)?"),
            example="CREAS",
            check=_check_reference,
            options=_reference_options,
        ),
        conversation.Step(
            key="involved",
            field=N_("Sectors involved"),
            question=N_(
                "Which sectors are involved? Choose them and press Done, or write their "
                "names separated by commas."
            ),
            example="Saúde, Educação, Conselho Tutelar",
            check=_check_involved,
            options=conversation.sector_options,
            multi=True,
        ),
        conversation.Step(
            key="risk",
            field=N_("Risk"),
            question=N_("What is the risk: baixo, médio or alto?"),
            example="alto",
            check=_check_risk,
            options=_risk_options,
        ),
        conversation.Step(
            key="review",
            field=N_("Next review"),
            question=N_("When is the next review (a day within a year)?"),
            example="15/01",
            check=_check_review,
        ),
    ),
    line=lambda values: (
        "novo " + conversation.joined("reference", "involved", "risk", "review")(values)
    ),
    run=case_command,
)


def register(router: Router) -> None:
    conversation.declare(CASE_FLOW)
    router.command(
        "caso",
        N_("a complex case by its code: open, timeline, review, risk, close"),
        rules.NEW_EXAMPLE,
    )(case_command)
    router.command("casos", N_("the open cases, nearest review first"), rules.LIST_EXAMPLE)(
        list_cases
    )
    router.agenda(order=30)(review_agenda)
    router.scheduled(Kind.CASE_REVIEW)(render_review)
    router.scheduled(Kind.CASE_OVERDUE)(render_overdue)
    router.scheduled(Kind.CASE_IDLE)(render_idle)
