"""SQLAlchemy 2 models: one network per group, its sectors, members, meetings and outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.rules.status import DraftStatus, MeetingStatus, OutboxStatus, QuestionStatus


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so it is restored)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[int]: JSON,
        list[Any]: JSON,
    }


class Network(Base):
    """A Rede: one group chat on one platform, with its own zone and settings."""

    __tablename__ = "networks"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id"),
        Index(
            "ix_networks_platform_coordination_chat_id",
            "platform",
            "coordination_chat_id",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    state: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(10), default="pt_BR")
    # Minutes before a meeting at which the group is reminded.
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON)
    meeting_rule: Mapped[str | None] = mapped_column(String(255))
    # Sectors needed for quorum; None: half of the sectors with representatives.
    quorum: Mapped[int | None] = mapped_column(Integer)
    # Seed 000 §5 rotation settings: one sector for both roles; leave the coordination out.
    roles_same_sector: Mapped[bool] = mapped_column(Boolean, default=False)
    rotation_skips_coordination: Mapped[bool] = mapped_column(Boolean, default=False)
    # Days after the meeting by which the ata is due (then daily reminders).
    ata_deadline_days: Mapped[int] = mapped_column(Integer, default=5)
    # Chasing of overdue devolutivas: days of each step (see bot.rules.deadlines.Ladder).
    ladder: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ics_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Quiet hours (issue 9): no automatic message from quiet_start to quiet_end (local
    # minutes of the day; equal values: no quiet hours), nor on Sundays and holidays.
    quiet_start: Mapped[int] = mapped_column(Integer, default=20 * 60)
    quiet_end: Mapped[int] = mapped_column(Integer, default=7 * 60)
    quiet_sundays: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    # Automatic messages to the group per hour; the excess becomes one digest.
    hourly_cap: Mapped[int] = mapped_column(Integer, default=4)
    # Months after its approval by which a flow document is due for review (issue 15).
    flow_review_months: Mapped[int] = mapped_column(Integer, default=12, server_default="12")
    # Who signs the institutional e-mails (/assinatura); None: the default signature.
    signature: Mapped[str | None] = mapped_column(String(255))
    # Days without activity after which a high-risk case is flagged to the coordination.
    case_inactivity_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # Automatic, non-urgent messages to the group per local day (issue 14); the rest
    # waits for the next day, merged into one message.
    daily_cap: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A second chat of the same platform linked with /coordenacao aqui (issue 14): what is
    # for the coordination goes there. Messages from it act on this network; it is never
    # a network of its own.
    coordination_chat_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]

    sectors: Mapped[list[Sector]] = relationship(
        back_populates="network", order_by="Sector.name", cascade="all, delete-orphan"
    )


class Sector(Base):
    """A setor / órgão of the network (CRAS, Saúde, Conselho Tutelar...)."""

    __tablename__ = "sectors"
    __table_args__ = (UniqueConstraint("network_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    # Lower-case, accent-free name: "saude" finds "Saúde".
    key: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(255))
    # Removed by the coordination (/setores remover): kept for the records it appears in,
    # gone from lists, meetings, rotation and new encaminhamentos.
    removed_at: Mapped[datetime | None]

    network: Mapped[Network] = relationship(back_populates="sectors")

    @property
    def abbreviations(self) -> tuple[str, ...]:
        """The keys of the other names the network gave this sector ("pm"), as
        ``storage.repo.sectors`` loaded them (bot.rules.sectors matches them)."""
        found: tuple[str, ...] = self.__dict__.get("_abbreviations", ())
        return found

    def known_as(self, keys: tuple[str, ...]) -> None:
        self.__dict__["_abbreviations"] = keys


class Member(Base):
    """A person of the group the bot has seen, with their sector and role."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("network_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(64))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="SET NULL"))
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the platform said this person administers the group, when last seen.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # When the coordination confirmed that this person speaks for ``sector`` (issue 13),
    # and who did: None while the declaration (/setor) waits. A new sector clears both.
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )

    sector: Mapped[Sector | None] = relationship()

    @property
    def confirmed_sector_id(self) -> int | None:
        """The sector this person acts for: the declared one, once confirmed."""
        return self.sector_id if self.confirmed_at is not None else None

    @property
    def confirmed_sector(self) -> Sector | None:
        return self.sector if self.confirmed_at is not None else None

    @property
    def pending(self) -> bool:
        """A sector declared, not yet confirmed by the coordination."""
        return self.sector_id is not None and self.confirmed_at is None


class Meeting(Base):
    """A meeting of the network: ordinary, extraordinary or of a working group."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="ordinary")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    place: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.SCHEDULED)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Extraordinary meetings (seed 000 §3): why, on what basis, by whom, how urgent.
    justification: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    convened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    convened_by_sector_id: Mapped[int | None] = mapped_column(
        ForeignKey("sectors.id", ondelete="SET NULL")
    )
    working_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    # The presence list: None (never opened), "open", "closed".
    presence: Mapped[str | None] = mapped_column(String(10))
    # Bumped on every change, so calendar clients replace the event.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WorkingGroup(Base):
    """A Grupo de Trabalho: some sectors meeting on their own cadence (seed 000 §1)."""

    __tablename__ = "working_groups"
    __table_args__ = (UniqueConstraint("network_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120))
    sector_ids: Mapped[list[int]] = mapped_column(JSON)
    cadence: Mapped[str] = mapped_column(String(20))  # weekly | biweekly | monthly
    weekday: Mapped[int] = mapped_column(Integer)
    ordinal: Mapped[int | None] = mapped_column(Integer)  # monthly: 1..5 or -1
    at: Mapped[str] = mapped_column(String(5))  # "14:00", local time
    place: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Rsvp(Base):
    """A member's answer to a meeting: yes / no (with a reason) / maybe."""

    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(5))
    reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime]

    member: Mapped[Member] = relationship()


class Attendance(Base):
    """Who was present at a meeting (tapped "Presente", or marked by the coordinator).

    A row without a member is a sector the coordination marked present without naming
    anyone ("/presenca + Saúde Mental"): at most one per meeting and sector."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id"),
        Index(
            "ux_attendance_sector_only",
            "meeting_id",
            "sector_id",
            unique=True,
            sqlite_where=sql_text("member_id IS NULL"),
            postgresql_where=sql_text("member_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # The sector the member represented at that meeting (people change sectors).
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="SET NULL"))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    marked_by: Mapped[str] = mapped_column(String(20))  # self | coordinator
    marked_at: Mapped[datetime]

    member: Mapped[Member | None] = relationship()
    sector: Mapped[Sector | None] = relationship()


class RoleAssignment(Base):
    """Who serves as secretary or writes the ata at a meeting (seed 000 §5: revezamento)."""

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))  # secretary | author
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    # proposed -> accepted, or declined (then a new row for the next sector); overridden.
    status: Mapped[str] = mapped_column(String(20))
    assigned_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class Ata(Base):
    """The minutes of a meeting: drafted, delivered, returned for correction, approved."""

    __tablename__ = "atas"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    author_sector_id: Mapped[int | None] = mapped_column(
        ForeignKey("sectors.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20))  # pending | delivered | returned | approved
    text: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_mime: Mapped[str | None] = mapped_column(String(100))
    file_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    delivered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    delivered_at: Mapped[datetime | None]
    correction: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class FlowDocument(Base):
    """A flow or protocol of the network (seed 000 §6: "Fluxos de atendimento
    atualizados"), kept with its versions; ``sector`` is the one responsible for it."""

    __tablename__ = "flow_documents"
    __table_args__ = (UniqueConstraint("network_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    # Lower-case, accent-free name: "fluxo de atencao" finds "Fluxo de Atenção".
    key: Mapped[str] = mapped_column(String(120))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class FlowVersion(Base):
    """One version (1, 2, 3…) of a flow document: em revisão until approved at a meeting."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("flow_documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    file_mime: Mapped[str] = mapped_column(String(100))
    file_content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))


class ActionPlan(Base):
    """A Plano de Ação / Plano de Providências whose tasks are tracked like referrals."""

    __tablename__ = "action_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class Referral(Base):
    """An encaminhamento: what is asked, of which sectors, by when (seed 000 §5-6)."""

    __tablename__ = "referrals"
    __table_args__ = (UniqueConstraint("network_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))  # E-2026-031
    description: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(20))  # meeting | plan | adhoc
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str | None] = mapped_column(Text)  # the plan's Ação, for plan tasks
    status: Mapped[str] = mapped_column(String(20))  # open | answered | concluded | deleted
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    concluded_at: Mapped[datetime | None]
    # Deleted as registered by mistake (/excluir): kept in the history, with who and why.
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    deleted_reason: Mapped[str | None] = mapped_column(String(300))

    owed: Mapped[list[Devolutiva]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="Devolutiva.id"
    )


class Case(Base):
    """A complex case followed by the network, known by its code only (no name, issue 15).

    What mentions the code (encaminhamentos, convocations, atas) is found by the code in
    their texts (storage/cases.py), so there is no link table to keep in step."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("network_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))  # CASO-2026-014
    reference_sector_id: Mapped[int | None] = mapped_column(
        ForeignKey("sectors.id", ondelete="SET NULL")
    )
    sector_ids: Mapped[list[int]] = mapped_column(JSON)  # the sectors involved
    risk: Mapped[str] = mapped_column(String(10))  # low | medium | high
    next_review: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # open | closed
    close_reason: Mapped[str | None] = mapped_column(String(20))
    close_note: Mapped[str | None] = mapped_column(String(200))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # When the coordination last heard that this high-risk case had no activity.
    idle_flagged_at: Mapped[datetime | None]

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )


class CaseEvent(Base):
    """One entry of a case's own timeline: opened, reviewed, risk changed, closed, reopened."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # opened | reviewed | risk | closed | reopened
    at: Mapped[datetime]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # What changed: the risk, the next review, the reason for closing (codes, never names).
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A review after its due date counts as late in the annual report.
    due: Mapped[date | None] = mapped_column(Date)

    case: Mapped[Case] = relationship(back_populates="events")


class Devolutiva(Base):
    """What one sector owes on a referral, and its answer once given."""

    __tablename__ = "devolutivas"
    __table_args__ = (UniqueConstraint("referral_id", "sector_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    # A deadline of this sector's own, after an extension (/prazo); else the referral's.
    deadline: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )

    referral: Mapped[Referral] = relationship(back_populates="owed")
    sector: Mapped[Sector] = relationship()


class Extension(Base):
    """A sector's request for more time on a referral, decided by the coordination."""

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    new_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open | accepted | refused
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class ReportingDeadline(Base):
    """A recurring external deadline (RMA, Censo SUAS, SISC...), seed 001."""

    __tablename__ = "reporting_deadlines"
    __table_args__ = (UniqueConstraint("network_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(80))
    recurrence: Mapped[str] = mapped_column(String(20))  # monthly | quarterly | yearly
    day: Mapped[int] = mapped_column(Integer)
    month: Mapped[int | None] = mapped_column(Integer)  # yearly: the month
    sector_ids: Mapped[list[int]] = mapped_column(JSON)
    link: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


class ReportingConfirmation(Base):
    """A sector confirmed it filled one period of a reporting deadline (/prazo_ok)."""

    __tablename__ = "reporting_confirmations"
    __table_args__ = (UniqueConstraint("deadline_id", "period", "sector_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_deadlines.id", ondelete="CASCADE")
    )
    period: Mapped[str] = mapped_column(String(10))  # 2026-11, 2026-Q4, 2026
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    confirmed_at: Mapped[datetime]


class Contact(Base):
    """A person who started a private chat with the bot: private notices can reach them."""

    __tablename__ = "contacts"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    # When the bot last said "use the commands in the group" to a plain private text:
    # at most once a day, so a chatty stranger never makes the number write in bulk.
    hinted_at: Mapped[datetime | None]


class Question(Base):
    """Something the bot asked a person and awaits in a reply (e.g. why they won't come)."""

    __tablename__ = "questions"
    # A person's open questions: looked up on every plain text, closed on every command.
    __table_args__ = (Index("ix_questions_member_id_status", "member_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    asked_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=QuestionStatus.OPEN)
    # A step-by-step conversation (handlers/conversation.py): the command, the answers so
    # far and the step asked. Every typed answer in it passed the personal-data screen.
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Asked in the person's private chat: only such a question takes a private text as its
    # answer (one asked in the group is answered there, by a reply).
    in_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ScheduledMessage(Base):
    """Future work as a row: a reminder or announcement due at ``due_at`` (decision 2).

    ``key`` is deterministic (e.g. ``reminder:12:1440``) so rescheduling replaces
    instead of duplicating. A dispatcher claims a row (``claimed_by``, ``claimed_at``)
    in a transaction before sending it and marks it ``sent`` afterwards.
    """

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        UniqueConstraint("network_id", "key"),
        # The dispatcher's two questions, answered from an index at any size (issue 9):
        # "which pending rows are due?" and "whose claim went stale?".
        Index("ix_scheduled_due", "status", "due_at"),
        Index("ix_scheduled_claims", "status", "claimed_at"),
        # A network's pending rows by key prefix (repo.cancel_scheduled_many). On
        # PostgreSQL the key is ordered byte-wise, so a prefix is one range of it
        # whatever the database's collation.
        Index(
            "ix_scheduled_messages_network_status_key",
            "network_id",
            "status",
            "key",
            postgresql_ops={"key": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    # When it was first due, kept when quiet hours or a retry move ``due_at``: rows due
    # together after a gap go out in the order of their events (Friday's before Saturday's).
    planned_at: Mapped[datetime | None]
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One message to send: a scheduled row is rendered once into these (decision 5).

    Each is sent, retried and marked on its own, outside any transaction; the
    claim works as for scheduled rows, with a heartbeat-refreshed ``claimed_at``.
    ``payload`` is the serialised ``Reply`` or ``MailOut`` (bot.delivery).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "due_at"),
        Index("ix_deliveries_claims", "status", "claimed_at"),
        Index("ix_deliveries_recent", "network_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    scheduled_id: Mapped[int | None] = mapped_column(
        ForeignKey("scheduled_messages.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    # "group", "private" or "mail": where it goes, for the caps and the digest.
    target: Mapped[str] = mapped_column(String(10))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    due_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A message held back by the hourly cap points at the digest that carries it.
    digest_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Choice(Base):
    """The options of a message sent where buttons do not exist (choices typed back).

    A channel without buttons shows numbered options; a reply that quotes the message
    and says "2" or the option's words presses that button (bot.rules.choices).
    """

    __tablename__ = "choices"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    # [[label, data], ...] in the order shown; [] for a message of the bot's without
    # options (a reply quoting it is an answer to the bot).
    options: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)


class ChoiceAnswer(Base):
    """When a person last answered one question (by a vote or a typed answer, in any of
    the messages that asked it): an older answer that arrives later changes nothing."""

    __tablename__ = "choice_answers"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # What the options decide (bot.rules.choices.subject: "v1:rsvp:12"), whichever message.
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The platform's time of the answer, in milliseconds.
    answered_ms: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(index=True)


class PersonAlias(Base):
    """Another id of one person on a platform (WhatsApp: the phone JID of a LID)."""

    __tablename__ = "person_aliases"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)


class InboxEvent(Base):
    """A webhook event the bot will act on, kept from its 200 until it is applied.

    Only what the bot acts on is kept (a command, a vote, an answer to the bot, a group
    event), never group talk; the row is deleted once the event is applied.
    """

    __tablename__ = "inbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(index=True)


class SentNotice(Base):
    """A notice that must reach the coordination once (e-mail off, a sector with nobody)."""

    __tablename__ = "sent_notices"

    network_id: Mapped[int] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    sent_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Platform update ids already applied: a redelivered webhook update is applied once."""

    __tablename__ = "processed_updates"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class Draft(Base):
    """Something shown for confirmation (a generated calendar) until a button decides it."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=DraftStatus.OPEN)


class SectorAlias(Base):
    """A name a plan gave a sector (its Responsável), as the coordination decided it: that
    sector, or ignored (no sector). Later imports of the network follow it."""

    __tablename__ = "sector_aliases"
    __table_args__ = (UniqueConstraint("network_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    # The name as the plan wrote it, and lower-case and accent-free (bot.rules.names).
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    # None: the name is no sector of the network (its tasks are left to the others).
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
