"""The garbage collector and the library a command reads.

A command such as ``tipweek feed`` reads the whole library from the tip
cache (at 5,000 tips some 150,000 objects) and keeps it until it exits.
Python's cyclic collector, run every few hundred allocations, walks those
objects again and again while they are made and after, though none of them
will ever be garbage: at 5,000 tips that was a sixth of ``tipweek feed``'s
time. So the collector is paused while the library is made and then told to
leave it alone (``gc.freeze``) until the command ends; objects made later
are collected as usual. ``tipweek serve`` and ``build`` do not use this:
they read the library again on every rebuild.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import click


@contextmanager
def made_to_last() -> Iterator[None]:
    """Objects made inside live until the running click command ends: no
    collection while they are made, and none of them looked at again until
    then, when they are handed back to the collector (``gc.unfreeze``), so a
    caller that runs commands in-process (the tests, a script) gets its
    collector back as it was. Outside a command, or when someone else froze
    objects already, it leaves the collector alone."""
    command = click.get_current_context(silent=True)
    if command is None or gc.get_freeze_count():
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        command.find_root().call_on_close(gc.unfreeze)
        if enabled:
            gc.enable()
