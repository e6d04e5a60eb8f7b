"""The states of every stored thing, declared once (issue 11 §5).

The values are what the rows store (String columns): a ``StrEnum`` member equals its
value, so stored rows and these names compare directly. Never rename a value without a
data migration.
"""

from __future__ import annotations

from enum import StrEnum


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Presence(StrEnum):
    """A meeting's presence list (None: never opened)."""

    OPEN = "open"
    CLOSED = "closed"


class MarkedBy(StrEnum):
    """Who marked a presence row."""

    SELF = "self"  # the person tapped ✋
    COORDINATOR = "coordinator"  # the coordination (/presenca +)
    # The person erased their data (/apagarmeusdados): the row names only the sector.
    ERASED = "erased"


class RoleStatus(StrEnum):
    """A secretary or ata author proposed by the rotation (seed 000 §5)."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    OVERRIDDEN = "overridden"  # the coordination put someone else (/trocar)


class AtaStatus(StrEnum):
    PENDING = "pending"  # waiting for its author
    DELIVERED = "delivered"  # waiting for approval
    RETURNED = "returned"  # sent back for correction
    APPROVED = "approved"


class ReferralStatus(StrEnum):
    """An encaminhamento (or a plan's task): open until every sector answered."""

    OPEN = "open"
    ANSWERED = "answered"
    CONCLUDED = "concluded"
    DELETED = "deleted"  # registered by mistake: kept in the history, counted nowhere


# A referral still chased: every other status stops its chase.
REFERRAL_OPEN = (ReferralStatus.OPEN, ReferralStatus.ANSWERED)


class ExtensionStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class QuestionStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    REPLACED = "replaced"  # a newer question to the same person closed it
    EXPIRED = "expired"  # a conversation left halfway (handlers/conversation.py)


class DraftStatus(StrEnum):
    """Something shown for confirmation (a calendar, a plan) until a choice decides it."""

    OPEN = "open"
    SAVED = "saved"
    DISCARDED = "discarded"


class OutboxStatus(StrEnum):
    """A scheduled row or a delivery row of the outbox."""

    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"
    SKIPPED = "skipped"  # e-mail off: nothing to send
    HELD = "held"  # over the hourly cap: carried by a digest
    SUPERSEDED = "superseded"  # a newer row of its series was said instead
    MERGED = "merged"  # said in another row's message (a sector's round of chases)
    DROPPED = "dropped"  # its network is gone


ATA_IN_PROGRESS = (AtaStatus.PENDING, AtaStatus.RETURNED)


class ResponsibleStatus(StrEnum):
    """How a plan's Responsável maps to a sector of the network (kept in the plan's draft)."""

    SECTOR = "sector"  # the network's sector of that name
    ALIAS = "alias"  # decided for an earlier plan: that sector
    SKIP = "skip"  # decided for an earlier plan: no sector of the network
    ASK = "ask"  # unknown: the coordination decides
    CHOSEN = "chosen"  # decided now: an existing sector
    NEW = "new"  # decided now: a new sector of that name
    IGNORED = "ignored"  # decided now: no sector of the network
