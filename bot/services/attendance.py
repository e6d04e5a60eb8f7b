"""Attendance: answering an RSVP, the reason for "não vou", the presence list and the
quorum check (PRODUCT.md §3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import documents
from bot.errors import UserError
from bot.i18n import N_, Np_
from bot.i18n import gettext as _
from bot.messages import Person
from bot.rules import attendance as rules
from bot.rules import quiet as quiet_rules
from bot.rules.calendar import holidays_for
from bot.rules.names import first_upper, kind_name, representative
from bot.rules.status import MarkedBy, MeetingStatus, Presence, QuestionStatus
from bot.scheduling import LATE_AFTER, QUORUM_TOO_LATE
from bot.services import members, quiet
from storage import meetings as meetings_store
from storage import repo
from storage.models import Attendance, Meeting, Member, Network, Question, Rsvp, Sector

# An expected sector: (id, name).
Expected = Sequence[tuple[int, str]]


@dataclass(frozen=True)
class RsvpResult:
    """The meeting answered; after "não vou" the bot asks why, in private when it can
    reach the person (``reason_in_private``), else in the group (None: not asked)."""

    meeting: Meeting
    reason_in_private: bool | None
    question: Question | None = None


@dataclass(frozen=True)
class PresenceView:
    """What the presence list message shows: who is present, under which sector (None:
    the person has no sector; a sector marked without naming anyone has None for the
    person), in marking order, and the expected sectors counted."""

    meeting: Meeting
    attendees: tuple[tuple[str | None, str | None], ...]
    sectors: rules.SectorCount


@dataclass(frozen=True)
class ClosedList:
    """A presence list just closed, and the sectors absent too many times in a row
    (with the coordinators to warn)."""

    view: PresenceView
    streak_sectors: tuple[str, ...]
    coordinators: tuple[Member, ...]


@dataclass(frozen=True)
class PresenceFiles:
    """The latest presence list, ready to be drawn as PDF and CSV."""

    meeting: Meeting
    data: documents.PresenceList


@dataclass(frozen=True)
class QuorumWarning:
    """A meeting whose confirmed sectors are below quorum, for the coordinators."""

    meeting: Meeting
    sectors: rules.SectorCount
    needed: int
    coordinators: tuple[Member, ...]


@dataclass(frozen=True)
class Who:
    """Whom the coordination marks: what it typed after + or - (sectors, names,
    @usernames, separated by commas), the people the platform says the message mentions,
    and the person whose message is replied to (when nothing is typed)."""

    text: str = ""
    mentioned: tuple[Person, ...] = ()
    reply_to: Person | None = None


async def _expected(session: AsyncSession, network: Network, meeting: Meeting) -> Expected:
    sectors = await meetings_store.expected_sectors(
        session=session, network=network, meeting=meeting
    )
    return [(s.id, s.name) for s in sectors]


async def _button_meeting(session: AsyncSession, network: Network, meeting_id: int) -> Meeting:
    meeting = await repo.meeting(session=session, meeting_id=meeting_id)
    if meeting is None or meeting.network_id != network.id:
        raise UserError(N_("This choice is no longer valid."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise UserError(N_("This meeting was cancelled."))
    return meeting


# --- RSVP and the reason for "não vou" -------------------------------------------------


async def answer_rsvp(
    session: AsyncSession,
    network: Network,
    member: Member,
    now: datetime,
    *,
    meeting_id: int,
    answer: str,
) -> RsvpResult:
    """Note ``member``'s answer ("yes", "no", "maybe") to a meeting not over yet; after
    "no", ask them why (a Question)."""
    meeting = await _button_meeting(session, network, meeting_id)
    if meeting.starts_at + timedelta(minutes=meeting.duration_minutes) < now:
        raise UserError(N_("This meeting has already happened."))
    await repo.set_rsvp(
        session=session, meeting_id=meeting.id, member_id=member.id, answer=answer, now=now
    )
    if answer != "no":
        # Going after all: "why not?" is no longer asked (a later reply answers something else).
        await repo.close_questions(
            session=session, member_id=member.id, kind=rules.REASON_QUESTION, meeting_id=meeting.id
        )
        return RsvpResult(meeting, None)
    question, in_private = await _ask_reason(session, network, member, meeting, now)
    return RsvpResult(meeting, in_private, question)


async def _ask_reason(
    session: AsyncSession, network: Network, member: Member, meeting: Meeting, now: datetime
) -> tuple[Question, bool]:
    """Open the question; whether the person can be asked in private."""
    question = await repo.ask(
        session=session,
        network_id=network.id,
        member_id=member.id,
        kind=rules.REASON_QUESTION,
        meeting_id=meeting.id,
        now=now,
    )
    reachable = await repo.contact_ids(
        session=session, platform=network.platform, user_ids=[member.user_id]
    )
    # Asked in private: the person's next text there answers it (bot.app, private chat).
    question.in_private = member.user_id in reachable
    return question, question.in_private


def note_asked(question: Question, text: str) -> None:
    """Keep the start of the question as sent: a reply quoting another message is no answer."""
    question.state = {"asked": text[: rules.ASKED]}


def asked(question: Question) -> str:
    return str((question.state or {}).get("asked", ""))


async def quotes_its_meeting(
    session: AsyncSession, network: Network, question: Question, replied: str
) -> bool:
    """Whether a reply quotes the card of the meeting the question is about (the
    convocation or the reminder, naming its day and hour): its text is the reason too."""
    if question.meeting_id is None or not replied:
        return False
    meeting = await repo.meeting(session=session, meeting_id=question.meeting_id)
    if meeting is None:
        return False
    local = meeting.starts_at.astimezone(ZoneInfo(network.timezone))
    return rules.names_the_meeting(replied, local)


async def save_reason(
    session: AsyncSession, member: Member, question: Question, reason: str
) -> bool:
    """The question is answered; the reason is kept when the member still says "no".
    Whether it was kept."""
    question.status = QuestionStatus.ANSWERED
    if question.meeting_id is None:
        return False
    rsvp = await repo.rsvp_of(session=session, meeting_id=question.meeting_id, member_id=member.id)
    if rsvp is None or rsvp.answer != "no":
        return False
    rsvp.reason = reason
    return True


# --- the presence list -------------------------------------------------------------------


async def presence_view(session: AsyncSession, network: Network, meeting: Meeting) -> PresenceView:
    """Who is present at ``meeting``, and the expected sectors counted."""
    rows = [r for r in await repo.attendance(session=session, meeting_id=meeting.id) if r.present]
    expected = await _expected(session, network, meeting)
    return PresenceView(
        meeting=meeting,
        attendees=tuple(_attendee(r) for r in rows),
        sectors=rules.count_sectors(expected, (r.sector_id for r in rows)),
    )


def _attendee(row: Attendance) -> tuple[str | None, str | None]:
    """(sector, person) of one present row (no person: the sector marked as a whole)."""
    if row.member is None:
        sector = row.sector.name if row.sector else None
        return sector, (representative(sector) if row.marked_by == MarkedBy.ERASED else None)
    confirmed = row.member.confirmed_sector
    return (confirmed.name if confirmed else None), row.member.name


async def _today_meeting(session: AsyncSession, network: Network, now: datetime) -> Meeting:
    """Today's scheduled meeting closest to ``now``."""
    tz = ZoneInfo(network.timezone)
    start = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    found = await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=start,
        end=start + timedelta(days=1),
        include_cancelled=False,
    )
    if not found:
        raise UserError(
            N_("There is no meeting today. The presence list opens on the meeting's day."),
            example="/presenca",
        )
    return min(found, key=lambda m: abs((m.starts_at - now).total_seconds()))


async def _listed_today(session: AsyncSession, network: Network, now: datetime) -> Meeting:
    """Today's meeting, whose presence list must have been opened."""
    meeting = await _today_meeting(session, network, now)
    if meeting.presence is None:
        raise UserError(N_("Open the presence list first with /presenca."), example="/presenca")
    return meeting


async def open_presence(session: AsyncSession, network: Network, now: datetime) -> PresenceView:
    """Open today's presence list (a closed one stays closed)."""
    meeting = await _today_meeting(session, network, now)
    if meeting.presence != Presence.CLOSED:
        meeting.presence = Presence.OPEN
    return await presence_view(session, network, meeting)


async def mark_self(
    session: AsyncSession, network: Network, member: Member, now: datetime, *, meeting_id: int
) -> PresenceView:
    """✋: ``member`` is present, while the list is open."""
    meeting = await _button_meeting(session, network, meeting_id)
    if meeting.presence != Presence.OPEN:
        raise UserError(N_("The presence list is closed."))
    await repo.mark_presence(
        session=session, meeting_id=meeting.id, member=member, present=True, by="self", now=now
    )
    return await presence_view(session, network, meeting)


async def mark_by_coordinator(
    session: AsyncSession, network: Network, now: datetime, *, present: bool, who: Who
) -> PresenceView:
    """/presenca + Saúde Mental, Helena, @ana (or -): the coordination marks sectors and
    people present (or not). Everything named is found before anything is marked."""
    meeting = await _listed_today(session, network, now)
    for target in await _targets(session, network, now, who):
        if isinstance(target, Member):
            await repo.mark_presence(
                session=session,
                meeting_id=meeting.id,
                member=target,
                present=present,
                by="coordinator",
                now=now,
            )
        else:
            await repo.mark_sector(
                session=session,
                meeting_id=meeting.id,
                sector_id=target.id,
                present=present,
                now=now,
            )
    return await presence_view(session, network, meeting)


async def _targets(
    session: AsyncSession, network: Network, now: datetime, who: Who
) -> list[Member | Sector]:
    """The people and sectors ``who`` names, in the order written, each once."""
    if not who.text and not who.mentioned:
        if who.reply_to is not None:
            return [await members.replied(session, network, who.reply_to, now)]
        raise UserError(
            N_("Say who: a sector, a name or @user, or reply to their message."),
            example=rules.MARK_EXAMPLE,
        )
    sectors = await repo.sectors(session=session, network_id=network.id)
    people = await members.representatives_by_name(session, network)
    found: list[Member | Sector] = []
    for piece in rules.pieces(who.text, [p.written for p in who.mentioned]):
        if piece.mention is not None:
            person = who.mentioned[piece.mention]
            found.append(await members.mentioned(session, network, person, rules.MARK_EXAMPLE))
        elif piece.text.startswith("@"):
            found.append(
                await members.by_username(session, network, piece.text, rules.MARK_EXAMPLE)
            )
        else:
            named = rules.read_names(piece.text, sectors, people)
            found += [t.member if isinstance(t, members.Called) else t for t in named]
    return list(dict.fromkeys(found))


async def close_presence(session: AsyncSession, network: Network, now: datetime) -> ClosedList:
    """Close today's presence list; find the sectors absent too many times in a row."""
    meeting = await _listed_today(session, network, now)
    meeting.presence = Presence.CLOSED
    view = await presence_view(session, network, meeting)
    ids = await absence_streaks(session, network, until=meeting.starts_at)
    sectors = await repo.sectors(session=session, network_id=network.id)
    streaks = [s.name for s in sectors if s.id in ids]
    coordinators = (
        await repo.coordinators(session=session, network_id=network.id) if streaks else ()
    )
    return ClosedList(view, tuple(streaks), tuple(coordinators))


async def absence_streaks(session: AsyncSession, network: Network, *, until: datetime) -> set[int]:
    """The sectors absent from the last closed lists (up to ``until``) where they were
    expected: those /presenca fechar warns about, and the rotation skips."""
    closed = [
        m
        for m in await repo.meetings_with_presence(
            session=session, network_id=network.id, until=until
        )
        if m.presence == Presence.CLOSED
    ]
    history = [await _sectors_at(session, network, past) for past in reversed(closed)]
    return rules.absence_streaks(history)


async def _sectors_at(
    session: AsyncSession, network: Network, meeting: Meeting
) -> tuple[set[int], set[int]]:
    """(expected, present) sector ids of one past meeting."""
    expected = {sector_id for sector_id, _name in await _expected(session, network, meeting)}
    rows = await repo.attendance(session=session, meeting_id=meeting.id)
    return expected, rules.sectors_present(r.sector_id for r in rows if r.present)


async def latest_presence_files(
    session: AsyncSession, network: Network, now: datetime
) -> PresenceFiles:
    """The latest meeting with a presence list, and its list as plain data."""
    found = await repo.meetings_with_presence(
        session=session, network_id=network.id, until=now + timedelta(days=1), limit=1
    )
    if not found:
        raise UserError(N_("No meeting has a presence list yet."), example="/presenca")
    return PresenceFiles(found[0], await presence_list(session, network, found[0], now))


async def presence_list(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> documents.PresenceList:
    """Everything the presence list document shows (bot.documents draws it)."""
    expected = await _expected(session, network, meeting)
    rows = await repo.attendance(session=session, meeting_id=meeting.id)
    answers = {a.member_id: a for a in await repo.rsvps(session=session, meeting_id=meeting.id)}
    people = await _people(session, network, rows, expected)
    present_ids = rules.sectors_present(r.sector_id for r in rows if r.present)
    present = {r.member_id for r in rows if r.present and r.member_id is not None}
    return documents.PresenceList(
        network_name=network.title or _("Rede de Proteção Social"),
        meeting_kind=first_upper(kind_name(meeting.kind)),
        starts_at=meeting.starts_at,
        timezone=network.timezone,
        place=meeting.place,
        topic=meeting.topic,
        justification=meeting.justification,
        convened_by=await _convener(session, meeting),
        sectors_present=[name for sector_id, name in expected if sector_id in present_ids],
        sectors_absent=[name for sector_id, name in expected if sector_id not in present_ids],
        attendees=sorted(
            [*_attendees(people, present, answers), *_sectors_marked(rows)],
            key=lambda a: (a.sector, a.name),
        ),
        generated_at=now,
    )


async def _people(
    session: AsyncSession, network: Network, rows: Sequence[Attendance], expected: Expected
) -> list[Member]:
    """Everyone marked, then the expected sectors' representatives nobody marked."""
    people: dict[int, Member] = {r.member.id: r.member for r in rows if r.member is not None}
    sector_ids = {sector_id for sector_id, _name in expected}
    for member in await repo.representatives(
        session=session, network_id=network.id, sector_ids=sector_ids
    ):
        people.setdefault(member.id, member)
    return list(people.values())


def _attendees(
    people: Iterable[Member], present: set[int], answers: dict[int, Rsvp]
) -> list[documents.Attendee]:
    """One line per person."""
    return [
        documents.Attendee(
            name=m.name,
            sector=m.confirmed_sector.name if m.confirmed_sector else "—",
            present=m.id in present,
            rsvp=answers[m.id].answer if m.id in answers else None,
            absence_reason=answers[m.id].reason if m.id in answers else None,
        )
        for m in people
    ]


def _sectors_marked(rows: Iterable[Attendance]) -> list[documents.Attendee]:
    """The sectors the coordination marked present without naming anyone, and the
    representatives who erased their data (named by their sector)."""
    return [
        documents.Attendee(
            name=(
                representative(r.sector.name)
                if r.marked_by == MarkedBy.ERASED
                else _("(not named)")
            ),
            sector=r.sector.name,
            present=True,
            rsvp=None,
        )
        for r in rows
        if r.member is None and r.present and r.sector is not None
    ]


async def _convener(session: AsyncSession, meeting: Meeting) -> str | None:
    """Who convened an extraordinary meeting (seed 000 §3); by the sector alone once the
    person erased their data."""
    if meeting.kind != "extraordinary":
        return None
    convener = (
        await meetings_store.member(session=session, member_id=meeting.convened_by_id)
        if meeting.convened_by_id is not None
        else None
    )
    if convener is not None:
        return convener.name
    sector_id = meeting.convened_by_sector_id
    sector = (
        await meetings_store.sector_by_id(session=session, sector_id=sector_id)
        if sector_id
        else None
    )
    return representative(sector.name) if sector is not None else None


# --- quorum --------------------------------------------------------------------------------


async def quorum_warning(
    session: AsyncSession,
    network: Network,
    now: datetime,
    *,
    meeting_id: int | None,
    planned: datetime | None = None,
) -> QuorumWarning | None:
    """Two days before: the meeting, when its confirmed sectors are below quorum. A check
    run well after it would have gone (``planned``, past the quiet hours: the bot was
    down) and within QUORUM_TOO_LATE of the meeting says nothing."""
    if meeting_id is None:
        return None
    meeting = await repo.meeting(session=session, meeting_id=meeting_id)
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= now:
        return None
    if meeting.starts_at - now < QUORUM_TOO_LATE and _late(network, planned, now):
        # Come late (the bot was down): too late to rally the sectors or move the meeting;
        # the reminder that goes now names who has not answered. One the quiet hours
        # held until the meeting's morning is on time, and goes.
        return None
    expected = await _expected(session, network, meeting)
    answers = await repo.rsvps(session=session, meeting_id=meeting.id)
    confirmed = [a.member.confirmed_sector_id for a in answers if a.answer == "yes"]
    # The sector that convened the meeting is coming (as the reminders count it).
    confirmed.append(meeting.convened_by_sector_id)
    count = rules.count_sectors(expected, confirmed)
    needed = rules.quorum_short(count, network.quorum)
    if needed is None:
        return None
    coordinators = await repo.coordinators(session=session, network_id=network.id)
    return QuorumWarning(meeting, count, needed, tuple(coordinators))


def _late(network: Network, planned: datetime | None, now: datetime) -> bool:
    """Is ``now`` well after the row planned at ``planned`` would have gone out (at the
    end of the quiet hours it fell in, if it did)?"""
    if planned is None:
        return False
    tz = ZoneInfo(network.timezone)
    hours = quiet.quiet_hours(network)
    went = quiet_rules.quiet_until(planned, hours, tz, lambda y: holidays_for(y, network.state))
    return now - (went or planned) > LATE_AFTER


async def set_quorum(session: AsyncSession, network: Network, quorum: int | None) -> None:
    """The sectors needed for quorum (None: half of the expected sectors). A number can be
    reached: at most the sectors that have a representative."""
    if quorum is not None:
        people = await repo.representatives(session=session, network_id=network.id)
        represented = len({m.sector_id for m in people})
        if represented == 0:
            raise UserError(
                N_(
                    "No sector has a representative yet: each one says its sector with "
                    "/setor CRAS, then the quorum can be set."
                ),
                example="/quorum metade",
            )
        if quorum > represented:
            raise UserError(
                Np_(
                    "Only {n} sector has a representative: the quorum can be at most {n}.",
                    "Only {n} sectors have a representative: the quorum can be at most {n}.",
                ),
                example=f"/quorum {represented}",
                n=represented,
            )
    network.quorum = quorum
