"""Readers of the log (the tailer, the push dispatcher) wait for more events only under a stream
of them: a look that found a few is followed at once by the next, so a change reaches the screens
and the phones without a pause of its own."""

from backend.kernel import events


def test_a_few_events_are_not_followed_by_a_wait() -> None:
    assert [events.gather_after(n) for n in (0, 1, events.GATHER_FROM - 1)] == [0.0, 0.0, 0.0]


def test_a_stream_of_events_is_gathered() -> None:
    assert events.gather_after(events.GATHER_FROM) == events.GATHER_SECONDS
    assert events.gather_after(500) == events.GATHER_SECONDS
