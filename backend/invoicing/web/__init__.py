"""The invoicing domain in the app: the invoice and payment API, the invoice pages and forms, the
billing settings, the Stripe Checkout adapter and the order facts it adds to the orders API."""
