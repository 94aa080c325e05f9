"""The sign-in throttle: failed sign-ins counted per (account name, address) pair."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field


@dataclass
class Throttle:
    """At most ``attempts`` failed sign-ins per (account name, address) pair in ``window``.

    By pair, so that a stranger's failures never lock a steward out from their own address,
    nor fill a shared office address's quota for its colleagues. Memory is bounded whatever
    is sent: a pair is kept as a 16-byte digest with at most ``attempts`` moments, and past
    ``max_pairs`` the expired pairs, then the oldest, are forgotten."""

    attempts: int
    window: float
    max_pairs: int = 50_000
    failures: dict[bytes, tuple[float, ...]] = field(default_factory=dict)

    @staticmethod
    def _key(name: str, address: str) -> bytes:
        text = f"{name[:100]}\0{address}".encode("utf-8", "replace")
        return hashlib.blake2b(text, digest_size=16).digest()

    def _recent(self, key: bytes, moment: float) -> tuple[float, ...]:
        return tuple(t for t in self.failures.get(key, ()) if moment - t <= self.window)

    def wait(self, name: str, address: str) -> float:
        """Seconds before ``name`` may be tried again from ``address`` (0: now)."""
        moment = time.monotonic()
        seen = self._recent(self._key(name, address), moment)
        if len(seen) < self.attempts:
            return 0.0
        return max(0.0, self.window - (moment - seen[0]))

    def fail(self, name: str, address: str) -> None:
        moment = time.monotonic()
        key = self._key(name, address)
        self.failures[key] = (*self._recent(key, moment), moment)[-self.attempts :]
        if len(self.failures) > self.max_pairs:
            for old in [k for k, v in self.failures.items() if moment - v[-1] > self.window]:
                del self.failures[old]
            while len(self.failures) > self.max_pairs:
                del self.failures[next(iter(self.failures))]

    def clear(self, name: str, address: str) -> None:
        self.failures.pop(self._key(name, address), None)
