"""Uploads kept in memory — never on disk — for a short time, so the page's download links can build
the filing package when asked. Unguessable tokens; bounded by count, bytes and age."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Held:
    filename: str
    data: bytes
    year: int
    created: float
    package: dict[str, bytes] | None = None  # relative path → bytes, built on the first download
    messages: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class UploadStore:
    def __init__(self, max_entries: int = 8, max_bytes: int = 200 * 1024 * 1024, ttl_seconds: float = 1800):
        self.max_entries, self.max_bytes, self.ttl_seconds = max_entries, max_bytes, ttl_seconds
        self._items: dict[str, Held] = {}
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        for token in [token for token, held in self._items.items() if now - held.created > self.ttl_seconds]:
            del self._items[token]

    def _size(self) -> int:
        return sum(len(held.data) + sum(map(len, (held.package or {}).values())) for held in self._items.values())

    def put(self, filename: str, data: bytes, year: int) -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            self._items[token] = Held(filename, data, year, now)
            while len(self._items) > self.max_entries or (len(self._items) > 1 and self._size() > self.max_bytes):
                del self._items[next(iter(self._items))]  # oldest first
        return token

    def get(self, token: str) -> Held | None:
        with self._lock:
            self._expire(time.monotonic())
            return self._items.get(token)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
