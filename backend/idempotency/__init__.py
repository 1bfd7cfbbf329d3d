"""Replays of a mutating request under the same ``Idempotency-Key`` get the first answer."""
