"""A drop-off or a failure as the phone sends it, through the API (JSON, or multipart with the
photo) or the driver's page (a multipart form, also replayed from the offline outbox): read into
the core's values, proofs checked and stored by hash (off the event loop), then ONE command."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar.datastructures import UploadFile

from backend.delivery import proofs, service
from backend.delivery.errors import DeliveryRejected
from backend.delivery.rules import DropOff, Fix
from backend.delivery.web.schemas import DeliveredIn
from backend.kernel.db import Database
from backend.orders.rules import Actor

MAX_FORM_NUMBER = 20


def signature_bytes(text: str | None) -> bytes | None:
    """A signature sent as base64 (a bare string or a ``data:image/png;base64,`` URL)."""
    if not text:
        return None
    encoded = text.partition(",")[2] if text.startswith("data:") else text
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise DeliveryRejected({"signature": "proof_not_an_image"}) from None


def from_json(data: DeliveredIn) -> tuple[DropOff, bytes | None]:
    drop = DropOff(
        data.recipient,
        data.latitude,
        data.longitude,
        data.accuracy_m,
        data.cash_minor,
        data.currency,
        data.at,
        data.version,
    )
    return drop, signature_bytes(data.signature_png)


def _number(form: Mapping[str, Any], name: str, problems: dict[str, str], code: str) -> float | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw) if len(raw) <= MAX_FORM_NUMBER else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        problems[name] = code
        return None
    return value


def _whole(form: Mapping[str, Any], name: str, problems: dict[str, str], code: str) -> int | None:
    value = _number(form, name, problems, code)
    if value is None:
        return None
    if value != int(value):
        problems[name] = code
        return None
    return int(value)


def moment(raw: object, problems: dict[str, str]) -> datetime | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text[:40])
    except ValueError:
        problems["at"] = "moment_invalid"
        return None
    if at.tzinfo is None:
        problems["at"] = "moment_invalid"
    return at


async def file_bytes(form: Mapping[str, Any], name: str) -> bytes | None:
    upload = form.get(name)
    if isinstance(upload, UploadFile):
        content = await upload.read()
        return content or None
    return None


async def from_form(
    form: Mapping[str, Any], cash_minor: int | None, *, typed_in_major: bool = False
) -> tuple[DropOff, bytes | None, bytes | None]:
    """The drop-off of a multipart form (API field names). The API's ``cash_minor`` is in minor
    units; the driver's page types the cash in major units and gives it converted
    (``typed_in_major``: its form's ``cash_minor``, if any, is ignored). Raises
    ``DeliveryRejected`` for numbers that are not numbers."""
    problems: dict[str, str] = {}
    latitude = _number(form, "latitude", problems, "coordinate_invalid")
    longitude = _number(form, "longitude", problems, "coordinate_invalid")
    accuracy = _number(form, "accuracy_m", problems, "accuracy_invalid")
    if cash_minor is None and not typed_in_major:
        cash_minor = _whole(form, "cash_minor", problems, "cash_invalid")
    version = _whole(form, "version", problems, "stop_changed")
    at = moment(form.get("at"), problems)
    signature = await file_bytes(form, "signature")
    if signature is None:
        try:
            signature = signature_bytes(str(form.get("signature_png") or ""))
        except DeliveryRejected as exc:
            problems |= exc.problems
    if problems:
        raise DeliveryRejected(problems)
    currency = str(form.get("currency") or "").strip() or None
    recipient = str(form.get("recipient") or "")[:1000]
    drop = DropOff(recipient, latitude, longitude, accuracy, cash_minor, currency, at, version)
    return drop, await file_bytes(form, "photo"), signature


async def confirm(
    db: Database,
    actor: Actor,
    proof_dir: Path,
    where: tuple[int, int],
    *,
    drop: DropOff,
    photo: bytes | None,
    signature: bytes | None,
) -> service.StopDone:
    """Store the proofs (before: a file never waits on a transaction), then confirm."""
    kept = await proofs.keep_off_loop(proof_dir, photo, signature)
    run_id, stop_id = where
    return await db.run(service.confirm_drop_off, actor, run_id, stop_id, drop, proofs=kept)


async def fail(
    db: Database,
    actor: Actor,
    where: tuple[int, int],
    *,
    reason: str,
    note: str,
    at: datetime | None,
    version: int | None,
) -> service.StopDone:
    run_id, stop_id = where
    return await db.run(
        service.fail_stop, actor, run_id, stop_id, reason, note=note, at=at, stop_version=version
    )


async def position(db: Database, actor: Actor, run_id: int, fix: Fix) -> None:
    await db.run(service.record_position, actor, run_id, fix)
