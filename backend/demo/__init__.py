"""The demo shop: a small Paris épicerie with its team, catalog, stock and orders (`comptoir demo`)."""
