from collections.abc import Sequence

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import RecomputeMark


class RecomputeMarkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current_transaction(self) -> str:
        """The id (xid8, as text) of the caller's transaction, which writes values."""
        found: str = (await self.session.execute(text("SELECT pg_current_xact_id()::text"))).one()[
            0
        ]
        return found

    async def current_snapshot(self) -> str:
        """What this statement sees (`pg_snapshot`, as text). Under READ COMMITTED every later
        statement of the transaction sees at least as much."""
        found: str = (await self.session.execute(text("SELECT pg_current_snapshot()::text"))).one()[
            0
        ]
        return found

    async def covered(self, *, city: str, periods: Sequence[str], written_in: str) -> set[str]:
        """The periods whose last recompute already saw what transaction `written_in` wrote.

        A mark whose snapshot reaches beyond the current transaction id belongs to another
        history of the cluster (a restore from a dump starts the counter again): it covers
        nothing."""
        rows = await self.session.scalars(
            text(
                "SELECT period FROM recompute_marks, CAST(snapshot AS pg_snapshot) AS seen"
                " WHERE city = :city AND period = ANY(:periods)"
                " AND pg_visible_in_snapshot(CAST(CAST(:written_in AS text) AS xid8), seen)"
                " AND pg_snapshot_xmax(seen) <= pg_current_xact_id()"
            ),
            {"city": city, "periods": list(periods), "written_in": written_in},
        )
        return set(rows)

    async def mark(self, *, city: str, periods: Sequence[str], snapshot: str) -> None:
        """Record that these periods were recomputed, alerts and aggregates included, from
        `snapshot`."""
        if not periods:
            return
        statement = insert(RecomputeMark).values(
            [{"city": city, "period": period, "snapshot": snapshot} for period in periods]
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[RecomputeMark.city, RecomputeMark.period],
                set_={"snapshot": statement.excluded.snapshot, "recomputed_at": func.now()},
            )
        )
