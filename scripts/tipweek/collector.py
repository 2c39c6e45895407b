"""The garbage collector and the library a command reads.

A command such as ``tipweek feed`` reads the whole library from the tip
cache (at 5,000 tips some 150,000 objects) and keeps it until it exits.
Python's cyclic collector, run every few hundred allocations, walks those
objects again and again while they are made and after, though none of them
will ever be garbage: at 5,000 tips that was a sixth of ``tipweek feed``'s
time. So the collector is paused while the library is made and then told to
leave it alone for good (``gc.freeze``); objects made later are collected as
usual. ``tipweek serve`` does not use this: it reads the library again on
every rebuild.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def made_to_last() -> Iterator[None]:
    """Objects made inside live until the command ends: no collection while
    they are made, and none of them looked at again afterwards. Leaves the
    collector alone when someone else froze objects already."""
    if gc.get_freeze_count():
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def command() -> Iterator[None]:
    """One command: what :func:`made_to_last` froze is handed back to the
    collector when it ends, for a caller that runs several commands in one
    process (the tests, a script)."""
    frozen_before = gc.get_freeze_count()
    try:
        yield
    finally:
        if not frozen_before and gc.get_freeze_count():
            gc.unfreeze()
