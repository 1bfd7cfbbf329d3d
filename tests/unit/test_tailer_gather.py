"""The tailer waits for more events only under a stream of them: a look that found a few is
followed at once by the next, so a change reaches the screens without a pause of its own."""

from backend.realtime import tailer


def test_a_few_events_are_not_followed_by_a_wait() -> None:
    assert [tailer.gather_after(n) for n in (0, 1, tailer.GATHER_FROM - 1)] == [0.0, 0.0, 0.0]


def test_a_stream_of_events_is_gathered() -> None:
    assert tailer.gather_after(tailer.GATHER_FROM) == tailer.GATHER_SECONDS
    assert tailer.gather_after(500) == tailer.GATHER_SECONDS
