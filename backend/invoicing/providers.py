"""Online payment providers: what invoicing asks of one, and the one real adapter, Stripe
Checkout (its Python library). Configured by the environment and off by default:

- ``COMPTOIR_STRIPE_SECRET_KEY``: the account's secret key (``sk_…``); without it, no provider;
- ``COMPTOIR_STRIPE_WEBHOOK_SECRET``: the signing secret of the webhook endpoint (``whsec_…``);
- ``COMPTOIR_STRIPE_API_BASE``: another address for Stripe's API (a local counterpart in tests).

A checkout link is made for an amount due (an order's or an invoice's balance) and carries the
target in its metadata; nothing is stored until Stripe's signed webhook says the session is paid,
and the payment then records the session's id as its ``provider_ref``: the same webhook twice is
one payment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import stripe

STRIPE_TOLERANCE_SECONDS = 300  # a signature older than this is refused (replayed captures)


@dataclass(frozen=True)
class CheckoutLink:
    url: str
    session_id: str


@dataclass(frozen=True)
class Paid:
    """A payment the provider confirmed: for an order or an invoice (``target``: ``order:12``)."""

    provider_ref: str
    target: str
    amount_minor: int
    currency: str
    reference: str


class ProviderRejected(Exception):
    """A webhook that is not the provider's (bad signature, too old) or not readable."""


class PaymentProvider(Protocol):
    name: str

    def checkout(
        self, amount_minor: int, currency: str, target: str, label: str, return_url: str
    ) -> CheckoutLink: ...

    def confirmed(self, payload: bytes, signature: str) -> Paid | None: ...


@dataclass(frozen=True)
class StripeCheckout:
    secret_key: str
    webhook_secret: str
    api_base: str | None = None
    name: str = "stripe"

    def _client(self) -> stripe.StripeClient:
        import stripe  # a large library, loaded only when a link is made

        addresses = {"api": self.api_base} if self.api_base else None
        return stripe.StripeClient(self.secret_key, base_addresses=addresses, max_network_retries=1)  # type: ignore[arg-type]

    def checkout(
        self, amount_minor: int, currency: str, target: str, label: str, return_url: str
    ) -> CheckoutLink:
        """A Checkout session for one line of ``amount_minor``; blocking (run it in a thread)."""
        session = self._client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency.lower(),
                            "unit_amount": amount_minor,
                            "product_data": {"name": label},
                        },
                    }
                ],
                "metadata": {"comptoir_target": target},
                "client_reference_id": target,
                "success_url": return_url,
                "cancel_url": return_url,
            }
        )
        return CheckoutLink(str(session.url), str(session.id))

    def confirmed(self, payload: bytes, signature: str) -> Paid | None:
        """The payment a signed ``checkout.session.completed`` (paid) stands for; None for events
        that record nothing. Raises ``ProviderRejected`` for anything not signed by Stripe."""
        if not self.webhook_secret:  # an empty secret would accept what anyone signs with it
            raise ProviderRejected("no webhook signing secret is configured")
        import stripe  # a large library, loaded only when Stripe calls

        try:
            event = stripe.Webhook.construct_event(
                payload, signature, self.webhook_secret, tolerance=STRIPE_TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise ProviderRejected(str(exc)) from None
        if event.type not in {"checkout.session.completed", "checkout.session.async_payment_succeeded"}:
            return None
        session = event.data.object.to_dict()
        target = (session.get("metadata") or {}).get("comptoir_target") or session.get("client_reference_id")
        amount, currency = session.get("amount_total"), session.get("currency")
        if (
            session.get("payment_status") != "paid"
            or not target
            or not isinstance(amount, int)
            or not currency
        ):
            return None  # signed, but nothing Comptoir asked for is paid by it
        return Paid(
            provider_ref=f"stripe:{session.get('id')}"[:100],
            target=str(target),
            amount_minor=amount,
            currency=str(currency).upper(),
            reference=str(session.get("payment_intent") or session.get("id"))[:100],
        )


def from_env(environ: Mapping[str, str] | None = None) -> PaymentProvider | None:
    """The configured provider, or None (online payment off)."""
    environ = os.environ if environ is None else environ
    key = environ.get("COMPTOIR_STRIPE_SECRET_KEY", "")
    if not key:
        return None
    return StripeCheckout(
        key,
        environ.get("COMPTOIR_STRIPE_WEBHOOK_SECRET", ""),
        environ.get("COMPTOIR_STRIPE_API_BASE") or None,
    )
