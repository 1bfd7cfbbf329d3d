"""The events a tailer read last, handed to the other readers of its process
(``kernel.events.RecentEvents``): only ever what the log holds after a reader's position, in
order, without a gap; anything else is read from the database."""

from __future__ import annotations

from backend.kernel.events import Event, RecentEvents, position


def _events(*ids: int) -> list[Event]:
    return [Event(id=n, type="order.placed", subject=f"order:{n}", data={}) for n in ids]


def _ids(events: list[Event]) -> list[int]:
    return [event.id for event in events]


def test_a_reader_on_a_kept_event_gets_what_follows_it() -> None:
    recent = RecentEvents()
    recent.keep((0, 10), _events(11, 12, 13))
    recent.keep((0, 13), _events(14, 15))
    assert _ids(recent.after((0, 10), 500)) == [11, 12, 13, 14, 15]
    assert _ids(recent.after((0, 12), 2)) == [13, 14]
    assert _ids(recent.after((0, 15), 500)) == []  # at the end: the database says what is new


def test_a_reader_elsewhere_reads_the_database() -> None:
    recent = RecentEvents()
    recent.keep((0, 10), _events(11, 12))
    assert recent.after((0, 9), 500) == []  # before the run: what came between is not kept
    assert recent.after((0, 30), 500) == []


def test_a_read_that_does_not_continue_the_run_starts_a_new_one() -> None:
    recent = RecentEvents()
    recent.keep((0, 10), _events(11, 12))
    recent.keep((0, 20), _events(21))  # the tailer started over elsewhere: 13-20 are not here
    assert recent.after((0, 10), 500) == []
    assert recent.after((0, 12), 500) == []
    assert _ids(recent.after((0, 20), 500)) == [21]


def test_the_oldest_are_let_go() -> None:
    recent = RecentEvents(size=3)
    for n in range(1, 9):
        recent.keep((0, n - 1), _events(n))
    kept = recent.after((0, 5), 500)
    assert _ids(kept) == [6, 7, 8]
    assert recent.after((0, 0), 500) == []
    assert all(position(event) == (0, event.id) for event in kept)
