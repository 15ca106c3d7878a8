"""The one style every YAML schema in knowledge/ is written in: pydantic models that
refuse unknown keys and are read-only once loaded, and one citation model."""

from __future__ import annotations

from pydantic import BaseModel

from bot.knowledge.sources import Citation


class Strict(BaseModel):
    """A knowledge/ record: unknown keys are an error (a typo must not be ignored)."""

    class Config:
        extra = "forbid"
        allow_mutation = False


class CitationModel(Strict):
    """A verbatim quote from one section of one source, as written in knowledge/ files."""

    source: str
    section: str
    quote: str

    def to_citation(self) -> Citation:
        return Citation(self.source, self.section, " ".join(self.quote.split()))
