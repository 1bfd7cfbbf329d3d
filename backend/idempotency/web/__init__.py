"""Idempotency on the web: the middleware that honours an `Idempotency-Key` on every mutation."""
