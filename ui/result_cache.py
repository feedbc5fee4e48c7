"""A small server-wide cache of solved results, outside ``st.cache``.

Why not ``st.cache_data``: a solve updates a progress line while it runs, which Streamlit
refuses inside a cached function (CacheReplayClosureError). Every session's script thread
reads and writes the cache, so a lock guards it; the lock is not held while a result is
computed (a long solve must not block other sessions), and a computation stopped by its
session's rerun or departure raises and stores nothing. Callers get copies: a page that
edits what it shows never changes what another session will read.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class ResultCache(Generic[T]):
    """At most ``size`` results, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A copy of the stored result for ``key``, computing and storing it the first time."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return copy.deepcopy(found)
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return copy.deepcopy(value)
