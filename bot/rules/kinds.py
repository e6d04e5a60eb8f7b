"""Every kind of scheduled row, declared once (issue 11 §5).

A feature schedules rows of a kind and registers its renderer; the router refuses a kind
registered twice, and at start-up refuses a kind nobody renders (``Router.check``).
The values are what the rows store: never rename one without a data migration.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    MEETING_REMINDER = "meeting_reminder"
    MONTHLY_ANNOUNCEMENT = "monthly_announcement"
    MEETING_START = "meeting_start"
    MEETING_ROLES = "meeting_roles"
    QUORUM_CHECK = "quorum_check"
    ATA_REMINDER = "ata_reminder"
    ATA_LATE = "ata_late"
    WORKING_GROUP_EXTENSION = "gt_extend"
    REFERRAL_CHASE = "referral_chase"
    REFERRAL_CHASE_MAIL = "referral_chase_mail"
    REFERRAL_DIGEST = "referral_digest"
    REPORT_ANNOUNCE = "report_announce"
    REPORT_PENDING = "report_pending"
    CONVOCATION_MAIL = "convocation_mail"
    FLOW_REVIEW = "flow_review"
    CASE_REVIEW = "case_review"
    CASE_OVERDUE = "case_overdue"
    CASE_IDLE = "case_idle"


def failed(kind: Kind) -> str:
    """The kind of the renderer told when rows of ``kind`` fail for good."""
    return f"{kind.value}:failed"


# The dispatcher's own delivery kind: the hourly digest of held automatic messages.
DIGEST = "digest"
# ... and the next day's one message of what the daily budget held back (issue 14).
DAY_DIGEST = "digest_day"
