import uuid
from datetime import datetime

from sqlalchemy import (
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from usm_network.models import Base

# Each item is indexed in its own language: Spanish items with the Spanish stemmer.
# The same text as in migration 0003 (alembic compares it with what PostgreSQL reports).
LANGUAGE_CONFIG = (
    "CASE WHEN language = 'es' THEN 'spanish'::regconfig ELSE 'english'::regconfig END"
)
SEARCH_VECTOR_SQL = (
    f"setweight(to_tsvector({LANGUAGE_CONFIG}, title), 'A')"
    f" || setweight(to_tsvector({LANGUAGE_CONFIG}, summary), 'B')"
    f" || setweight(to_tsvector({LANGUAGE_CONFIG}, body), 'C')"
)


class KnowledgeItem(Base):
    """A practice, case study, lesson, tool, policy or plan summary shared between cities.

    Items with an `origin_node` came from another deployment by sync and are read-only here.
    """

    __tablename__ = "knowledge_items"
    __table_args__ = (
        Index("ix_knowledge_items_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_knowledge_items_tags", "tags", postgresql_using="gin"),
        Index("ix_knowledge_items_dimensions", "dimensions", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    origin_city: Mapped[str] = mapped_column(String(100), index=True)
    # Where the item came from (e.g. `appraisals:lesson:<id>`); unique so a replay adds nothing.
    origin_ref: Mapped[str] = mapped_column(String(200), unique=True)
    origin_node: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, server_default="")
    dimensions: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    language: Mapped[str] = mapped_column(String(2))
    licence: Mapped[str] = mapped_column(String(50), server_default="CC-BY-4.0")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_by: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), deferred=True
    )


class KnowledgeComment(Base):
    """A comment or question on a knowledge item from someone in another (or the same) city."""

    __tablename__ = "knowledge_comments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("knowledge_items.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
