"""A set of email addresses that stays small at a million: what a send keeps to know
whom it has met (the duplicates of a CSV list) and whom the week's ledger has as
delivered."""

from __future__ import annotations

import hashlib
from array import array


class AddressSet:
    """A set of addresses (case-insensitive) in 16 to 32 bytes each: 8-byte hashes in an
    open-addressed table. A million addresses take 16-32 MB where a set of strings takes
    ~100 MB; two addresses sharing a 63-bit hash (odds about 1 in 18 million for a list of a
    million) would count as one."""

    def __init__(self, capacity: int = 1024):
        self._slots = array("Q", bytes(8 * capacity))
        self._count = 0

    @staticmethod
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.lower().encode(), digest_size=8).digest(), "big") | 1

    def __contains__(self, key: str) -> bool:
        value, slots = self._hash(key), self._slots
        i = value % len(slots)
        while slots[i]:
            if slots[i] == value:
                return True
            i = (i + 1) % len(slots)
        return False

    def __len__(self) -> int:
        return self._count

    def _put(self, slots: array, value: int) -> bool:
        i = value % len(slots)
        while slots[i]:
            if slots[i] == value:
                return False
            i = (i + 1) % len(slots)
        slots[i] = value
        return True

    def add(self, key: str) -> bool:
        """Add ``key``; False when it was there already. (Under the caller's lock: a reader in
        another thread meanwhile sees the table before or after, never half-grown.)"""
        if 2 * (self._count + 1) > len(self._slots):
            bigger = array("Q", bytes(16 * len(self._slots)))
            for value in self._slots:
                if value:
                    self._put(bigger, value)
            self._slots = bigger
        added = self._put(self._slots, self._hash(key))
        self._count += added
        return added
