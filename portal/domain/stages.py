"""The domain's vocabulary: reminder stages, invoice statuses and contact channels.

Each is a `StrEnum`, so a member is also the plain key stored in the workbook and used in file names
("reminder_1", "in_plan", "email").
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache


class Stage(StrEnum):
    NUDGE = "nudge"
    REMINDER_1 = "reminder_1"
    REMINDER_2 = "reminder_2"
    FORMAL_NOTICE = "formal_notice"
    HANDOVER = "handover"
    THANK_YOU = "thank_you"


LADDER: tuple[Stage, ...] = (Stage.NUDGE, Stage.REMINDER_1, Stage.REMINDER_2, Stage.FORMAL_NOTICE, Stage.HANDOVER)
"""The reminder ladder's stages in order; a thank-you is not on it."""

CLAIM_STAGES: tuple[Stage, ...] = (Stage.FORMAL_NOTICE, Stage.HANDOVER)
"""The stages that claim interest and fees."""


class Status(StrEnum):
    NOT_DUE = "not_due"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    ON_HOLD = "on_hold"
    DISPUTED = "disputed"
    IN_PLAN = "in_plan"
    WRITTEN_OFF = "written_off"
    CREDIT = "credit"


class Channel(StrEnum):
    EMAIL = "email"
    POST = "post"
    REGISTERED = "registered"
    PHONE = "phone"


@lru_cache(maxsize=1024)  # a ledger's Log holds a few distinct actions, each asked for thousands of times
def stage_key(action: str) -> str:
    """A Log action or ladder stage as a stage key: "Reminder 1" and "reminder-1" give "reminder_1"."""
    return re.sub(r"[\s\-]+", "_", action.strip().lower())
