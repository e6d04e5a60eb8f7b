"""The ata's life until approval (seed 000 §6): ``/ata`` to deliver, approve, correct or
draft it again, the reminders to its author, the atas book, and the agenda's approvals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from bot import documents
from bot.buttons import ButtonData
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.notify import to_coordination
from bot.router import Context, Router, ScheduledContext, Scope
from bot.rules import dates
from bot.rules.atas import (
    ATA_EXAMPLE,
    LATE_NOTICE_DAYS,
    AtaAction,
    AtaCommand,
    draft_text,
    parse_command,
    parse_year,
    verification_code,
)
from bot.rules.kinds import Kind
from bot.rules.names import first_upper, kind_name
from bot.rules.status import AtaStatus
from bot.services import atas
from handlers.common import person
from storage.models import Meeting, Network

STATES = {
    AtaStatus.PENDING: N_("waiting for the author"),
    AtaStatus.RETURNED: N_("returned for correction"),
    AtaStatus.DELIVERED: N_("delivered, waiting for approval"),
}


def _when(meeting: Meeting, network: Network, *, with_year: bool | None = None) -> str:
    return dates.format_when(meeting.starts_at, network.timezone, with_year=with_year)


def _years(meetings: Sequence[Meeting], ctx: Context) -> bool:
    """A list of these meetings shows the years when it leaves this year."""
    days = dates.local_days((m.starts_at for m in meetings), ctx.network.timezone)
    return dates.spans_years(days, ctx.now.astimezone(ctx.tz).date())


async def ata(ctx: Context) -> list[Reply]:
    command = parse_command(ctx.msg.args, has_file=ctx.msg.attachment is not None)
    return await _ACTIONS[command.action](ctx, command)


async def _deliver(ctx: Context, _command: AtaCommand) -> list[Reply]:
    meeting = await atas.deliver(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        text=ctx.msg.args,
        attachment=ctx.msg.attachment,
    )
    text = _(
        "Ata of the {kind} of {when} received, thank you! "
        "It will be put up for approval at the next ordinary meeting."
    ).format(kind=kind_name(meeting.kind), when=_when(meeting, ctx.network))
    return [Reply(text=text)]


async def _draft_again(ctx: Context, _command: AtaCommand) -> list[Reply]:
    """The draft as it stands now (the encaminhamentos of the meeting included)."""
    draft = await atas.current_draft(
        ctx.session, ctx.network, ctx.member, is_coordinator=ctx.is_coordinator
    )
    return [Reply(text=draft_text(draft))]


async def _ata_status(ctx: Context, _command: AtaCommand) -> list[Reply]:
    states = await atas.in_progress(ctx.session, ctx.network)
    if not states:
        return [Reply(text=_("No ata is pending. Approved atas: /atas"))]
    years = _years([s.meeting for s in states], ctx)
    lines = [
        f"• {_when(s.meeting, ctx.network, with_year=years)} — {s.author}: {_(STATES[s.status])}"
        for s in states
    ]
    return [Reply(text="\n".join([_("Atas in progress:"), *lines]))]


@dataclass(frozen=True)
class AtaApproval(ButtonData, prefix="ataok"):
    """The coordination picks which delivered ata it approves."""

    ata_id: int


async def _approve(ctx: Context, command: AtaCommand) -> list[Reply]:
    approval = await atas.approve(
        ctx.session, ctx.network, is_coordinator=ctx.is_coordinator, now=ctx.now, day=command.day
    )
    if approval.approved is None:
        years = _years([c.meeting for c in approval.choices], ctx)
        return [_which_to_approve(approval.choices, ctx.network, with_year=years)]
    return [Reply(text=_approved_text(approval.approved, ctx))]


def _which_to_approve(choices: Sequence[atas.AtaOf], network: Network, *, with_year: bool) -> Reply:
    """The atas waiting, one button each; nothing approved until one is pressed."""
    n = len(choices)
    if n == 1:
        (only,) = choices
        text = _(
            "The ata of the {kind} of {when} is waiting for approval. Once approved it no "
            "longer changes: press the button to approve it."
        ).format(
            kind=kind_name(only.meeting.kind),
            when=_when(only.meeting, network, with_year=with_year),
        )
        return Reply(
            text=text, buttons=((Button(_("✅ Approve"), AtaApproval(only.ata.id).encode()),),)
        )
    text = ngettext(
        "{n} ata is waiting for approval. Which one does the coordination approve?",
        "{n} atas are waiting for approval. Which one does the coordination approve?",
        n,
    ).format(n=n)
    buttons = tuple(
        (
            Button(
                _("✅ {kind} of {when}").format(
                    kind=first_upper(kind_name(c.meeting.kind)),
                    when=_when(c.meeting, network, with_year=with_year),
                ),
                AtaApproval(c.ata.id).encode(),
            ),
        )
        for c in choices
    )
    return Reply(text=text, buttons=buttons)


async def approval_button(ctx: Context, press: AtaApproval) -> list[Reply]:
    approval = await atas.approve(
        ctx.session,
        ctx.network,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        ata_id=press.ata_id,
    )
    assert approval.approved is not None
    return [Reply(text=_approved_text(approval.approved, ctx), edit=True)]


def _approved_text(approved: atas.AtaOf, ctx: Context) -> str:
    meeting = approved.meeting
    day = ctx.now.astimezone(ctx.tz).date()
    return _(
        "✅ Ata of the {kind} of {when} approved on {day}. Verification code: {code} "
        "(the full SHA-256 is in the atas book: /atas {year})."
    ).format(
        kind=kind_name(meeting.kind),
        when=_when(meeting, ctx.network),
        day=dates.format_date(day, with_year=True),
        code=verification_code(approved.ata.sha256 or ""),
        year=approved.meeting.starts_at.astimezone(ctx.tz).year,
    )


async def _return(ctx: Context, command: AtaCommand) -> list[Reply]:
    returned = await atas.return_for_correction(
        ctx.session,
        ctx.network,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        note=command.note,
        day=command.day,
    )
    text = _(
        "The coordination asked for a correction of the ata of {when}: {note}\n"
        "Send it again with /ata."
    ).format(when=_when(returned.meeting, ctx.network), note=command.note)
    return [Reply(text=text, mentions=tuple(person(m) for m in returned.authors))]


_ACTIONS = {
    AtaAction.APPROVE: _approve,
    AtaAction.RETURN: _return,
    AtaAction.DRAFT: _draft_again,
    AtaAction.STATUS: _ata_status,
    AtaAction.DELIVER: _deliver,
}


# --- the book -------------------------------------------------------------------------------


async def atas_book(ctx: Context) -> list[Reply]:
    year = parse_year(ctx.msg.args.strip(), ctx.now.astimezone(ctx.tz).year)
    items = await atas.book(ctx.session, ctx.network, year)
    book = documents.AtaBook(
        network_name=ctx.network.title or _("Rede de Proteção Social"),
        year=year,
        timezone=ctx.network.timezone,
        entries=[_entry(item) for item in items],
        generated_at=ctx.now,
    )
    return [_book_reply(book), *(_original(item) for item in items if _has_file(item))]


def _entry(item: atas.BookItem) -> documents.AtaEntry:
    ata_row, meeting = item.ata, item.meeting
    assert ata_row.approved_at is not None and ata_row.sha256 is not None
    return documents.AtaEntry(
        meeting_kind=first_upper(kind_name(meeting.kind)),
        starts_at=meeting.starts_at,
        place=meeting.place,
        topic=meeting.topic,
        author_sector=item.author,
        secretary_sector=item.secretary,
        approved_at=ata_row.approved_at,
        sha256=ata_row.sha256,
        text=ata_row.text,
        file_name=ata_row.file_name,
    )


def _book_reply(book: documents.AtaBook) -> Reply:
    n = len(book.entries)
    text = ngettext("{n} approved ata in {year}.", "{n} approved atas in {year}.", n).format(
        n=n, year=book.year
    )
    pdf = partial(documents.atas_pdf, book)
    return Reply(
        text=text, file=OutFile.later(documents.atas_filename(book), "application/pdf", pdf)
    )


def _has_file(item: atas.BookItem) -> bool:
    return item.ata.file_content is not None and bool(item.ata.file_name)


def _original(item: atas.BookItem) -> Reply:
    """An ata delivered as a file goes with the book as it came."""
    row = item.ata
    assert row.file_content is not None and row.file_name is not None
    mime = row.file_mime or "application/octet-stream"
    return Reply(text="", file=OutFile(row.file_name, row.file_content, mime))


# --- automatic ------------------------------------------------------------------------------


def _payload_ata(ctx: ScheduledContext) -> int:
    return int(ctx.row.payload.get("ata_id", 0))


async def render_ata_reminder(ctx: ScheduledContext) -> Sequence[Reply]:
    due = await atas.reminder(ctx.session, ctx.network, _payload_ata(ctx))
    if due is None:
        return []
    text = _(
        "📝 Reminder: the ata of the {kind} of {when} is due ({sector}). "
        "Send it with /ata followed by the text, or the file with the caption /ata."
    ).format(
        kind=kind_name(due.meeting.kind),
        when=_when(due.meeting, ctx.network),
        sector=due.sector.name,
    )
    # Issue 14: the group hears it once, on the day it becomes late (the first reminder);
    # the daily ones after it go to the author in private, or nowhere.
    if ctx.row.key.endswith(":remind:0"):
        return [Reply(text=text, mentions=tuple(person(m) for m in due.people.everyone))]
    return [Reply(text=text, to_user=person(m)) for m in due.people.private]


async def render_ata_late(ctx: ScheduledContext) -> Sequence[Reply]:
    late = await atas.lateness(ctx.session, ctx.network, _payload_ata(ctx))
    if late is None:
        return []
    text = ngettext(
        "⚠️ Coordination: the ata of the {kind} of {when} is {n} day late ({sector}).",
        "⚠️ Coordination: the ata of the {kind} of {when} is {n} days late ({sector}).",
        LATE_NOTICE_DAYS,
    ).format(
        kind=kind_name(late.meeting.kind),
        when=_when(late.meeting, ctx.network),
        n=LATE_NOTICE_DAYS,
        sector=late.sector.name,
    )
    return await to_coordination(ctx.session, ctx.network, text)


async def _approvals_agenda(scope: Scope) -> list[str]:
    """For the next ordinary meeting's announcement: the atas to approve there."""
    return [
        _("📝 Ata to approve: {kind} of {when}").format(
            kind=kind_name(meeting.kind), when=_when(meeting, scope.network)
        )
        for meeting in await atas.awaiting_approval(scope.session, scope.network)
    ]


def register(router: Router) -> None:
    router.command("ata", N_("deliver, approve or correct an ata"), ATA_EXAMPLE, accepts_file=True)(
        ata
    )
    router.command("atas", N_("approved atas of the year (PDF)"), "/atas 2026")(atas_book)
    router.button(AtaApproval)(approval_button)
    # Issue 4: the atas delivered since are listed for approval at the next meeting.
    router.agenda(order=10)(_approvals_agenda)
    router.scheduled(Kind.ATA_REMINDER, collapse=True)(render_ata_reminder)
    router.scheduled(Kind.ATA_LATE)(render_ata_late)
