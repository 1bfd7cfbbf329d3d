"""The invoice and payment JSON API on both engines: drafts from an order and from scratch, issue
with gapless numbers, the Factur-X PDF, credit notes, payments and the order's balance, and the
bad input each refuses (422, 409, 404) without writing anything."""

from __future__ import annotations

import asyncio
import io
from datetime import date

import pytest
from facturx import get_xml_from_pdf
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.invoicing.billing import BillingInput, save_billing
from backend.invoicing.models import Invoice, Payment
from backend.kernel.events import Event
from tests.api.conftest import Harness
from tests.api.order_fixtures import actor_for, build_shop

YEAR = date.today().year
ORDER = {
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+33612345678"},
    "lines": [{"sku": "APPLE", "quantity": 2}, {"sku": "PEAR", "quantity": 1}],
    "fulfilment_mode": "delivery",
    "address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
    "payment_method": "bank_transfer",
}
SCRATCH = {
    "customer": {
        "name": "ACME SARL",
        "address_line1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "is_business": True,
        "vat_number": "FR40303265045",
    },
    "lines": [
        {"description": "Repair", "quantity": 2, "unit_price_minor": 4500, "tax_rate": "20"},
        {"sku": "APPLE", "quantity": 4},
    ],
}


@pytest.fixture
async def api(harness: Harness):
    await build_shop(harness.db)
    token = await harness.token(Role.STAFF)
    async with harness.client() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


async def count(harness: Harness, model: type) -> int:
    async with harness.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_draft_from_scratch_is_issued_with_the_next_number(harness: Harness, api) -> None:
    made = await api.post("/api/v1/invoices", json=SCRATCH)
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) >= {"id", "status", "number", "total_minor", "currency", "version"}
    assert (body["status"], body["number"], body["currency"]) == ("draft", None, "EUR")
    # 2 × 45.00 at 20 % and 4 apples at 2.50 incl. 5.5 % (2.37 excl.): 108.00 + 10.00
    assert body["total_minor"] == 10800 + 948 + 52
    stale = await api.post(f"/api/v1/invoices/{body['id']}/issue", json={"version": body["version"] + 1})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == body["version"]
    issued = await api.post(f"/api/v1/invoices/{body['id']}/issue", json={"version": body["version"]})
    assert issued.status_code == 200, issued.text
    assert (issued.json()["status"], issued.json()["number"]) == ("issued", f"F-{YEAR}-000001")
    again = await api.post(f"/api/v1/invoices/{body['id']}/issue")
    assert again.json()["number"] == f"F-{YEAR}-000001"
    whole = (await api.get(f"/api/v1/invoices/{body['id']}")).json()
    assert sum(rate["net_minor"] + rate["tax_minor"] for rate in whole["rates"]) == whole["total_minor"]
    assert [line["tax_rate"] for line in whole["lines"]] == ["20", "5.5"]
    assert whole["balance_minor"] == whole["total_minor"]
    assert whole["seller"]
    assert whole["due_date"]


async def test_the_pdf_is_factur_x(harness: Harness, api) -> None:
    made = (await api.post("/api/v1/invoices", json=SCRATCH)).json()
    draft = await api.get(f"/api/v1/invoices/{made['id']}/pdf")
    assert draft.headers["content-type"] == "application/pdf"
    await api.post(f"/api/v1/invoices/{made['id']}/issue")
    response = await api.get(f"/api/v1/invoices/{made['id']}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    _, xml = get_xml_from_pdf(io.BytesIO(response.content), check_xsd=True)
    assert f"F-{YEAR}-000001".encode() in xml


async def test_an_order_is_invoiced_once_and_its_balance_follows_payments(harness: Harness, api) -> None:
    order = (await api.post("/api/v1/orders", json=ORDER)).json()
    fresh = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert (fresh["paid_minor"], fresh["balance_minor"]) == (0, order["total_minor"])
    paid = await api.post(
        "/api/v1/payments", json={"order": order["id"], "method": "cash", "amount_minor": 500}
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["balance_minor"] == order["total_minor"] - 500
    made = await api.post("/api/v1/invoices", json={"order": order["id"]})
    assert made.status_code == 201, made.text
    assert made.json()["total_minor"] == order["total_minor"]
    twice = await api.post("/api/v1/invoices", json={"order": order["id"]})
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["code"] == "order_already_invoiced"
    invoice = made.json()["id"]
    await api.post(f"/api/v1/invoices/{invoice}/issue")
    more = await api.post(
        "/api/v1/payments",
        json={"invoice": invoice, "method": "bank_transfer", "amount_minor": order["total_minor"]},
    )
    assert more.json()["balance_minor"] == -500  # overpaid: kept as credit
    whole = (await api.get(f"/api/v1/invoices/{invoice}")).json()
    assert (whole["status"], whole["paid_minor"]) == ("paid", order["total_minor"] + 500)
    detail = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert (detail["paid_minor"], detail["balance_minor"]) == (order["total_minor"] + 500, -500)
    refund = await api.post(
        "/api/v1/refunds",
        json={"invoice": invoice, "method": "cash", "amount_minor": 500, "reason": "Overpaid"},
    )
    assert refund.status_code == 201
    assert refund.json()["balance_minor"] == 0


async def test_credit_notes_have_their_own_numbers_and_never_exceed_the_invoice(
    harness: Harness, api
) -> None:
    made = (await api.post("/api/v1/invoices", json=SCRATCH)).json()
    await api.post(f"/api/v1/invoices/{made['id']}/issue")
    part = await api.post(
        f"/api/v1/invoices/{made['id']}/credit-notes",
        json={"reason": "One repair not done", "lines": [{"position": 1, "quantity": 1}]},
    )
    assert part.status_code == 201, part.text
    assert (part.json()["kind"], part.json()["number"]) == ("credit_note", f"AV-{YEAR}-000001")
    assert part.json()["total_minor"] == 5400
    too_much = await api.post(
        f"/api/v1/invoices/{made['id']}/credit-notes",
        json={"reason": "Again", "lines": [{"position": 1, "quantity": 2}]},
    )
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["code"] == "credit_above_invoice"
    rest = await api.post(f"/api/v1/invoices/{made['id']}/credit-notes", json={"reason": "Cancelled"})
    assert rest.json()["number"] == f"AV-{YEAR}-000002"
    whole = (await api.get(f"/api/v1/invoices/{made['id']}")).json()
    assert (whole["status"], whole["credited_minor"]) == ("cancelled", whole["total_minor"])


@pytest.mark.parametrize(
    ("url", "body", "status", "code"),
    [
        ("/api/v1/invoices", {}, 422, "order_or_lines"),
        ("/api/v1/invoices", {"order": 1, "lines": []}, 422, "order_or_lines"),
        ("/api/v1/invoices", {"order": 999}, 422, "order_not_found"),
        ("/api/v1/invoices", {**SCRATCH, "lines": []}, 422, "lines_required"),
        ("/api/v1/invoices", {**SCRATCH, "lines": [{"sku": "NOPE", "quantity": 1}]}, 422, "unknown_sku"),
        (
            "/api/v1/invoices",
            {**SCRATCH, "lines": [{"description": "x", "quantity": 1, "tax_rate": "abc"}]},
            422,
            "tax_rate_invalid",
        ),
        (
            "/api/v1/invoices",
            {**SCRATCH, "lines": [{"description": "x", "quantity": 0, "tax_rate": "20"}]},
            422,
            "quantity_invalid",
        ),
        ("/api/v1/invoices/999/issue", None, 404, None),
        ("/api/v1/invoices/999/credit-notes", {"reason": "x"}, 404, None),
        ("/api/v1/payments", {"method": "cash", "amount_minor": 100}, 422, "target_required"),
        ("/api/v1/payments", {"order": 999, "method": "cash", "amount_minor": 100}, 422, "order_not_found"),
        ("/api/v1/payments", {"invoice": 999, "method": "cash", "amount_minor": 1}, 404, None),
        ("/api/v1/payments", {"order": 1, "method": "barter", "amount_minor": 1}, 422, "method_invalid"),
        ("/api/v1/payments", {"order": 1, "method": "cash", "amount_minor": 0}, 422, "amount_invalid"),
        ("/api/v1/payments", {"order": 1, "method": "card", "amount_minor": 5}, 422, "reference_required"),
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(
    harness: Harness, api, url: str, body: dict | None, status: int, code: str | None
) -> None:
    response = await api.post(url, json=body) if body is not None else await api.post(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if code:
        assert code in [error["code"] for error in response.json()["errors"]]
    assert (await count(harness, Invoice), await count(harness, Payment)) == (0, 0)


async def test_a_draft_sent_twice_by_its_client_ref_is_one_draft(harness: Harness, api) -> None:
    body = {**SCRATCH, "client_ref": "phone-7f3a"}
    first, second = await asyncio.gather(
        api.post("/api/v1/invoices", json=body), api.post("/api/v1/invoices", json=body)
    )
    assert {first.status_code, second.status_code} == {201}
    assert first.json()["id"] == second.json()["id"]
    assert await count(harness, Invoice) == 1


async def test_an_idempotency_key_replays_the_payment(harness: Harness, api) -> None:
    order = (await api.post("/api/v1/orders", json=ORDER)).json()
    body = {"order": order["id"], "method": "cash", "amount_minor": 300}
    headers = {"Idempotency-Key": "pay-1"}
    first = await api.post("/api/v1/payments", json=body, headers=headers)
    second = await api.post("/api/v1/payments", json=body, headers=headers)
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert await count(harness, Payment) == 1


async def test_people_without_the_invoices_permission_are_refused(harness: Harness) -> None:
    token = await harness.token(Role.DRIVER)
    async with harness.client() as client:
        response = await client.post(
            "/api/v1/invoices", json=SCRATCH, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 403


async def test_an_order_to_be_paid_first_goes_on_hold_with_its_acceptance(harness: Harness, api) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    await harness.db.run(save_billing, owner, BillingInput(pay_before_dispatch=("bank_transfer",)), None)
    transfer = (await api.post("/api/v1/orders", json=ORDER)).json()
    card = (await api.post("/api/v1/orders", json={**ORDER, "payment_method": "card"})).json()
    held = await api.post(f"/api/v1/orders/{transfer['id']}/accept")
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "on_hold"  # the answer to the acceptance itself
    timeline = (await api.get(f"/api/v1/orders/{transfer['id']}")).json()["timeline"]
    assert [entry["type"] for entry in timeline] == ["order.placed", "order.accepted", "order.on_hold"]
    async with harness.db.read() as session:
        reason = await session.scalar(
            select(Event.data).where(
                Event.subject == f"order:{transfer['id']}", Event.type == "order.on_hold"
            )
        )
    assert reason["reason"] == "Awaiting payment"
    accepted = await api.post(f"/api/v1/orders/{card['id']}/accept")
    assert accepted.json()["status"] == "accepted"  # a card order is not held
