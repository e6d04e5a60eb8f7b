"""The network's flows and protocols with versions (seed 000 §6, issue 15): ``/fluxos`` to
list them, ``/fluxo`` to send a version, get the current file, see the history and approve
at a meeting; the pauta of the next meeting and the yearly review's reminder."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Attachment, OutFile, Reply
from bot.router import Context, Router, ScheduledContext, Scope
from bot.rules import dates
from bot.rules import flows as rules
from bot.rules.kinds import Kind
from bot.rules.names import kind_name
from bot.services import flows
from handlers.common import person
from storage.models import Network


def _day(day: date, *, with_year: bool = True) -> str:
    return dates.format_date(day, with_year=with_year)


def _approved_by(version: flows.Version, network: Network) -> str:
    """ "aprovada na reunião ordinária de 10/02/2026" """
    day = flows.approval_day(version, network.timezone)
    if version.meeting is None:
        return _("approved on {day}").format(day=_day(day))
    return _("approved at the {kind} of {day}").format(
        kind=kind_name(version.meeting.kind), day=_day(day)
    )


def _document_lines(item: flows.Document, network: Network, today: date) -> list[str]:
    head = item.row.name + (f" ({item.sector})" if item.sector else "")
    lines = [f"• {head}"]
    current = item.current
    if current is not None:
        due = item.review_due(network.timezone)
        assert due is not None
        overdue = due <= today
        line = (
            _("Version {version}, {approved}; review overdue since {due}.")
            if overdue
            else _("Version {version}, {approved}; review due {due}.")
        )
        lines.append(
            "  "
            + line.format(
                version=current.row.number, approved=_approved_by(current, network), due=_day(due)
            )
        )
    waiting = item.in_review
    if waiting is not None:
        lines.append(
            "  "
            + _("Version {version} under review since {day}, waiting for approval.").format(
                version=waiting.row.number, day=_day(_local(waiting.row.sent_at, network))
            )
        )
    return lines


def _local(instant: datetime, network: Network) -> date:
    return instant.astimezone(ZoneInfo(network.timezone)).date()


async def list_flows(ctx: Context) -> list[Reply]:
    months = rules.parse_setting(ctx.msg.args)
    if months is not None:
        return await _set_review(ctx, months)
    found = await flows.all_documents(ctx.session, ctx.network)
    if not found:
        return [
            Reply(
                text=_(
                    "The network has no flow documents yet. The coordination sends one as a "
                    "file with the caption {example}"
                ).format(example=rules.UPLOAD_EXAMPLE)
            )
        ]
    n = len(found)
    lines = [
        ngettext(
            "{n} flow document of the network:", "{n} flow documents of the network:", n
        ).format(n=n)
    ]
    for item in found:
        lines += _document_lines(item, ctx.network, ctx.now.astimezone(ctx.tz).date())
    lines.append(_("The file: /fluxo followed by the name. Its versions: add historico."))
    return [Reply(text="\n".join(lines))]


async def _set_review(ctx: Context, months: int) -> list[Reply]:
    if not ctx.is_coordinator:  # raised: nothing of the update is saved
        raise UserError(
            N_("Only the network's coordination can change the review period."),
            example="/fluxos",
        )
    await flows.set_review_months(ctx.session, ctx.network, months)
    text = ngettext(
        "Flow documents are now due for review {n} month after their approval.",
        "Flow documents are now due for review {n} months after their approval.",
        months,
    ).format(n=months)
    return [Reply(text=text)]


async def flow(ctx: Context) -> list[Reply]:
    attachment = ctx.msg.attachment
    command = rules.parse_command(ctx.msg.args, has_file=attachment is not None)
    if command.action is rules.FlowAction.SEND:
        assert attachment is not None
        return await _send(ctx, command, attachment)
    if command.action is rules.FlowAction.APPROVE:
        return await _approve(ctx, command)
    item = await flows.document(ctx.session, ctx.network, command.name)
    if command.action is rules.FlowAction.HISTORY:
        return [_history(item, ctx.network)]
    return [_current_file(item, ctx.network)]


async def _send(ctx: Context, command: rules.FlowCommand, attachment: Attachment) -> list[Reply]:
    sent = await flows.send_version(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        command=command,
        attachment=attachment,
    )
    name = sent.document.row.name
    if sent.replaced:
        head = _("Version {version} of {name} replaced by this file, still under review.")
    elif sent.created:
        head = _("{name} created: version {version} received, under review.")
    else:
        head = _("Version {version} of {name} received, under review.")
    lines = [head.format(version=sent.version.number, name=name)]
    if sent.document.sector:
        lines.append(_("Responsible sector: {sector}.").format(sector=sent.document.sector))
    lines.append(
        _(
            "It goes on the next meeting's agenda; the coordination approves it there with {cmd}."
        ).format(cmd=f"/fluxo aprovar {name}")
    )
    return [Reply(text="\n".join(lines))]


async def _approve(ctx: Context, command: rules.FlowCommand) -> list[Reply]:
    approved = await flows.approve(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        name=command.name,
    )
    meeting_day = approved.meeting.starts_at.astimezone(ctx.tz).date()
    text = _("✅ {name}: version {version} approved at the {kind} of {day}.").format(
        name=approved.document.row.name,
        version=approved.version.number,
        kind=kind_name(approved.meeting.kind),
        day=_day(meeting_day),
    )
    if approved.replaced is not None:
        text += "\n" + _("It replaces version {version}, which stays in the history.").format(
            version=approved.replaced.number
        )
    text += "\n" + _("Next review: {due}.").format(due=_day(approved.review_due))
    return [Reply(text=text)]


def _history(item: flows.Document, network: Network) -> Reply:
    current = item.current
    n = len(item.versions)
    lines = [
        ngettext("{name}: {n} version", "{name}: {n} versions", n).format(name=item.row.name, n=n)
    ]
    for version in reversed(item.versions):
        if version.row.approved_at is None:
            state = _("under review")
        elif current is not None and version.row.id == current.row.id:
            state = _("{approved} — current").format(approved=_approved_by(version, network))
        else:
            state = _("{approved} — replaced").format(approved=_approved_by(version, network))
        lines.append(
            _("• v{version} ({file}, sent {day}): {state}").format(
                version=version.row.number,
                file=version.row.file_name,
                day=_day(_local(version.row.sent_at, network)),
                state=state,
            )
        )
    return Reply(text="\n".join(lines))


def _current_file(item: flows.Document, network: Network) -> Reply:
    """The current version's file; while there is none, the version under review's, said so."""
    current = item.current
    if current is not None:
        due = item.review_due(network.timezone)
        assert due is not None
        text = _("{name}, version {version}, {approved}. Review due {due}.").format(
            name=item.row.name,
            version=current.row.number,
            approved=_approved_by(current, network),
            due=_day(due),
        )
        version = current.row
    else:
        waiting = item.in_review
        assert waiting is not None
        version = waiting.row
        text = _(
            "{name} has no approved version yet: this is version {version}, under review."
        ).format(name=item.row.name, version=version.number)
    return Reply(
        text=text, file=OutFile(version.file_name, version.file_content, version.file_mime)
    )


# --- automatic ------------------------------------------------------------------------------


async def render_review(ctx: ScheduledContext) -> Sequence[Reply]:
    payload = ctx.row.payload
    review = await flows.review_reminder(
        ctx.session,
        ctx.network,
        int(payload.get("document_id", 0)),
        int(payload.get("version_id", 0)),
    )
    if review is None:
        return []
    current = review.document.current
    assert current is not None
    text = _(
        "📑 Yearly review: {name} (version {version}, {approved}) is due for review. The sector "
        "responsible sends the new version as a file with the caption /fluxo {name}; "
        "it is approved at a meeting."
    ).format(
        name=review.document.row.name,
        version=current.row.number,
        approved=_approved_by(current, ctx.network),
    )
    return [Reply(text=text, mentions=tuple(person(m) for m in review.people))]


async def flows_agenda(scope: Scope) -> list[str]:
    """Issue 15: the versions waiting for approval on the next meeting's pauta, and on a
    meeting about the flows the documents due for review."""
    pauta = await flows.pauta(scope.session, scope.network, scope.now)
    lines = []
    if pauta.due:
        lines.append(_("📑 On the agenda — flow documents due for review:"))
        for item in pauta.due:
            due = item.review_due(scope.network.timezone)
            assert due is not None and item.current is not None
            lines.append(
                _("• {name} (version {version}, review due {due})").format(
                    name=item.row.name, version=item.current.row.number, due=_day(due)
                )
            )
    if pauta.in_review:
        lines.append(_("📑 Flow documents to approve (/fluxo aprovar):"))
        for item in pauta.in_review:
            assert item.in_review is not None
            lines.append(
                _("• {name}: version {version} under review").format(
                    name=item.row.name, version=item.in_review.row.number
                )
            )
    return lines


def register(router: Router) -> None:
    router.command(
        "fluxos",
        N_("the network's flows and protocols, with their versions and reviews"),
        "/fluxos",
    )(list_flows)
    router.command(
        "fluxo",
        N_("a flow document: its file, its history, a new version (file), its approval"),
        rules.FLOW_EXAMPLE,
        accepts_file=True,
    )(flow)
    router.agenda(order=40)(flows_agenda)  # after atas (10), devolutivas (20)
    router.scheduled(Kind.FLOW_REVIEW)(render_review)
