"""--rate: the cap on messages per second over all connections, checked on
an injected clock (no test waits for real time)."""

from __future__ import annotations

import threading

from tipweek.sending.pacing import RateLimit


class Clock:
    """A clock that moves only when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        with self.lock:
            self.now += seconds


def test_messages_go_out_one_slot_apart_and_never_more_than_r_in_a_second():
    clock = Clock()
    limit = RateLimit(5, clock=clock, sleep=clock.sleep)
    sent_at = []

    for _ in range(12):
        limit.wait()
        sent_at.append(clock.now)

    assert [round(t - 100, 3) for t in sent_at] == [round(0.2 * i, 3) for i in range(12)]
    for start in sent_at:
        assert sum(start <= t < start + 1 for t in sent_at) <= 5


def test_an_idle_gap_is_not_saved_up_for_a_burst():
    clock = Clock()
    limit = RateLimit(2, clock=clock, sleep=clock.sleep)
    limit.wait()
    clock.now += 10  # nothing to send for ten seconds

    limit.wait()
    first = clock.now
    limit.wait()

    assert first == 110.0 and clock.now == 110.5


def test_the_slots_are_shared_by_every_connection():
    slots = []
    lock = threading.Lock()
    limit = RateLimit(1000, clock=lambda: 0.0, sleep=lambda s: (lock.acquire(), slots.append(s), lock.release()))

    threads = [threading.Thread(target=lambda: [limit.wait() for _ in range(25)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 100 messages on a clock standing at 0: the first goes at once, each other one slot later than the last.
    assert sorted(round(s, 6) for s in slots) == [round(0.001 * i, 6) for i in range(1, 100)]


def test_zero_means_no_cap():
    limit = RateLimit(0, clock=lambda: 0.0, sleep=lambda s: (_ for _ in ()).throw(AssertionError("slept")))
    for _ in range(1000):
        limit.wait()
