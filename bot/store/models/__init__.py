"""Every PeerScope table, one module per area; import them from here (``from
bot.store.models import Staff``), which also puts every table on ``Base.metadata`` for the
migrations. Note and plan text is health information: it lives here and nowhere else (not
in logs, not in the Rasa tracker).

base.py (the declarative base, shared enums), staff.py (staff, chat accounts, invites, console
sign-in), records.py (notes, reviews, WRSP plans, onboarding, unanswered questions), safety.py
(audit log, risk alerts, notifications), chat_state.py (the Telegram bridge's state, pending
questions)."""

from bot.store.models.base import NAMING, Base, FlagStatus, NoteStatus, PlanStatus, Program, Role, utcnow
from bot.store.models.chat_state import (
    ActionResult,
    PendingQuestion,
    RestMessage,
    TelegramButton,
    TelegramRate,
    TelegramUpdate,
)
from bot.store.models.records import (
    Note,
    NoteFlag,
    OnboardingProgress,
    QuizAttempt,
    Review,
    UnansweredQuestion,
    WrspAnswer,
    WrspAnswerHistory,
    WrspPlan,
)
from bot.store.models.safety import AuditLog, AuditLogIsAppendOnly, Notification, RiskAlert
from bot.store.models.staff import ChatIdentity, Staff, StaffInvite, WebCode, WebSession

__all__ = [
    "NAMING",
    "Base",
    "utcnow",
    "Role",
    "Program",
    "NoteStatus",
    "FlagStatus",
    "PlanStatus",
    "Staff",
    "ChatIdentity",
    "StaffInvite",
    "WebCode",
    "WebSession",
    "Note",
    "NoteFlag",
    "Review",
    "WrspPlan",
    "WrspAnswer",
    "WrspAnswerHistory",
    "OnboardingProgress",
    "QuizAttempt",
    "UnansweredQuestion",
    "AuditLog",
    "AuditLogIsAppendOnly",
    "RiskAlert",
    "Notification",
    "TelegramRate",
    "TelegramUpdate",
    "TelegramButton",
    "PendingQuestion",
    "RestMessage",
    "ActionResult",
]
