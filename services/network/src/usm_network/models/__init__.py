"""ORM tables of the network service, on one metadata with the kit's tables."""

from sqlalchemy.orm import DeclarativeBase

from usmkit.db import new_metadata
from usmkit.tables import define_kit_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


kit_tables = define_kit_tables(Base.metadata)

from usm_network.models.aggregate import IndicatorAggregate  # noqa: E402
from usm_network.models.city import City, Partnership  # noqa: E402
from usm_network.models.knowledge import KnowledgeComment, KnowledgeItem  # noqa: E402
from usm_network.models.sync import Peer, SyncChange, SyncNonce, SyncRun  # noqa: E402

__all__ = [
    "Base",
    "City",
    "IndicatorAggregate",
    "KnowledgeComment",
    "KnowledgeItem",
    "Partnership",
    "Peer",
    "SyncChange",
    "SyncNonce",
    "SyncRun",
    "kit_tables",
]
