"""A cap on messages per second, shared by every connection of a run.

A token bucket that holds one token: each message takes the next free slot,
1/R seconds after the one before, so no second of the run carries more than
R messages (a relay such as Amazon SES counts per second and refuses the
excess). Bursts are not allowed on purpose: the relay's count does not
forgive them.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class RateLimit:
    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller may send one message (at once when uncapped)."""
        if not self.interval:
            return
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self.sleep(slot - now)
