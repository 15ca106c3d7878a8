"""The WRSP (Wellness and Recovery Service Plan) interview, without Rasa.

- :mod:`bot.wrsp.schema`      the interview schema from knowledge/wrsp/schema.yml
- :mod:`bot.wrsp.validators`  pure validators: text -> (value, error_message)
- :mod:`bot.wrsp.interview`   where an interview stands: next question, back, change, progress
- :mod:`bot.wrsp.due`         plan and review deadlines
- :mod:`bot.wrsp.service`     the feature's API: plans, answers, sign-off, reviews, deadlines (over bot.store.wrsp)
- :mod:`bot.wrsp.flow`        one call per chat message, over the service (bot.wrsp.service)
- :mod:`bot.wrsp.export`      Markdown, JSON and PDF
- :mod:`bot.wrsp.commands`    `peerscope wrsp ...`
"""

from bot.wrsp.due import DueStatus, due_status
from bot.wrsp.interview import Interview, Progress, Step, validate_answer
from bot.wrsp.schema import Schema, SchemaError, load_schema
from bot.wrsp.validators import Validated

__all__ = [
    "DueStatus",
    "Interview",
    "Progress",
    "Schema",
    "SchemaError",
    "Step",
    "Validated",
    "due_status",
    "load_schema",
    "validate_answer",
]
