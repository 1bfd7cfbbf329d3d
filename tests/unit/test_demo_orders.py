"""Demo orders look like a shop's day: what waits for a decision came in recently."""

from __future__ import annotations

import random
from datetime import timedelta

from backend.demo.orders import ORDER_COUNT, WAITING, _age, _target
from backend.kernel.settings import Settings


def test_the_demo_queue_arrived_in_the_last_minutes_so_only_some_of_it_is_late() -> None:
    rng = random.Random(2026)
    alert = timedelta(minutes=Settings.__dataclass_fields__["order_wait_alert_minutes"].default)
    waiting = [_age(n, target, 0.0) for n in range(ORDER_COUNT) if (target := _target(n, rng)) in WAITING]
    late = [age for age in waiting if age > alert]
    assert waiting
    assert 0 < len(late) < len(waiting) / 2
    assert max(waiting) < timedelta(hours=1)
