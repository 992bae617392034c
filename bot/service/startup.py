"""Starting the service when its backends are not there yet: the store is connected in the
background with exponential backoff (each attempt logged with its reason), readiness stays
false until it is, and nothing crash-loops without saying why."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from bot.core.errors import StoreError
from bot.store import Store, open_store

log = logging.getLogger("redline.startup")
MAX_DELAY = 30.0


def connect(url: str, stop: threading.Event, first_delay: float = 1.0) -> Store | None:
    """Open the store, retrying with exponential backoff until it answers or `stop` is set."""
    delay = first_delay
    while True:
        try:
            return open_store(url)
        except StoreError as exc:
            log.error("store unreachable; retrying", extra={"error": str(exc), "in_s": delay})
        if stop.wait(delay):
            return None
        delay = min(delay * 2, MAX_DELAY)


class DeferredStore:
    """A store that is being connected: until it is, every use raises `StoreError` (answered
    503 by the app) and `ping()` is false (so /readyz says not ready)."""

    def __init__(self) -> None:
        self._store: Store | None = None
        self.connected = threading.Event()

    def attach(self, store: Store) -> None:
        self._store = store
        self.connected.set()

    def _get(self) -> Store:
        if self._store is None:
            raise StoreError("the store is not connected yet")
        return self._store

    @property
    def deliveries(self) -> Any:
        return self._get().deliveries

    @property
    def queue(self) -> Any:
        return self._get().queue

    @property
    def reviews(self) -> Any:
        return self._get().reviews

    def ping(self) -> bool:
        return self._store is not None and self._store.ping()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def connect_in_background(
    url: str, store: DeferredStore, stop: threading.Event, then: Callable[[Store], None]
) -> threading.Thread:
    def run() -> None:
        connected = connect(url, stop)
        if connected is not None:
            store.attach(connected)
            then(connected)

    thread = threading.Thread(target=run, daemon=True, name="redline-connect")
    thread.start()
    return thread
