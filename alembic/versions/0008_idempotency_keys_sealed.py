"""idempotency keys kept as hashes, their answers sealed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:00:00.000000

No schema change: the keys already stored are replaced by their hash and their answers (which may
hold a tracking link) sealed with the key, as new ones are (``backend.idempotency.sealing``).
A downgrade cannot get the keys back: it forgets them, as the 7-day purge would.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backend.idempotency import sealing

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = sa.table(
    "idempotency_keys",
    sa.column("id", sa.Integer),
    sa.column("principal", sa.String),
    sa.column("key", sa.String),
    sa.column("status", sa.Integer),
    sa.column("headers", sa.JSON),
    sa.column("body", sa.LargeBinary),
)


def _headers(value: object) -> list[list[str]]:
    return json.loads(value) if isinstance(value, str | bytes) else (value or [])  # type: ignore[return-value]


def upgrade() -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(_KEYS)).all():
        lookup = sealing.lookup(row.key)
        body = row.body
        if row.status is not None:
            secret = sealing.sealing_key(row.principal, row.key)
            body = sealing.seal_http_answer(
                secret, (row.principal, lookup), _headers(row.headers), bytes(row.body or b"")
            )
        bind.execute(
            _KEYS.update().where(_KEYS.c.id == row.id).values(key=lookup, headers=sa.null(), body=body)
        )


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")
