"""A disk cache of parsed and checked data tables, so a new process need not parse them again.

Why: every ``sovplan`` command is a new process, and parsing and checking the data folder's
CSVs (types, ranges, cross-references) took about 0.17 s of a 3.5 s ``sovplan solve``
(issue 27), for tables that change rarely.

Never stale: the key is a hash of the text of every table file read (as read, after the
checks of ``planner.core.files``), of the source of the modules that parse and check them,
and of the Python, pandas and numpy versions. An edited table, a changed rule or an upgraded
library is a different key, so a miss; the folder's path is not in the key (it is set on the
loaded tables). Only tables that passed every check are stored; an error is never cached.

Safe: entries are pickles, so one is read only from a folder owned by this user and not
writable by others, and only when the file itself is owned by this user and not writable by
others; anything else (a corrupt, truncated or foreign file) is a miss. Writes are atomic
(a temporary file renamed), so concurrent commands never read half a file. Offline, no
network. ``SOVPLAN_CACHE_DIR`` names the folder; set it to ``off`` (or empty) to disable.
The default is ``$XDG_CACHE_HOME/sovplan`` (``~/.cache/sovplan``). At most ``KEEP`` entries
are kept (the oldest are removed).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

#: environment variable naming the cache folder ("off" or empty: no cache)
CACHE_ENV = "SOVPLAN_CACHE_DIR"
#: entries kept (each is a few hundred kB for the bundled data)
KEEP = 32
#: bump when the cached object's layout changes without a change to the keyed sources
FORMAT = 1
#: modules whose rules shape the parsed tables (their source is part of the key)
_SOURCES = ("data.py", "datadict.py", "files.py", "table_cache.py")


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off."""
    raw = os.environ.get(CACHE_ENV)
    if raw is not None:
        raw = raw.strip()
        return None if raw in ("", "off", "0") else Path(raw).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".cache"
    return root / "sovplan"


@cache
def _code_digest() -> bytes:
    import numpy
    import pandas

    h = hashlib.sha256(f"{FORMAT}|{sys.version}|{pandas.__version__}|{numpy.__version__}".encode())
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    return h.digest()


def key_of(kind: str, texts: dict[str, str | None]) -> str | None:
    """The key of a parse of ``texts`` (table name -> file text, None when absent); None
    (no caching) when the parsing code's source cannot be read, e.g. from a zip."""
    if cache_dir() is None:
        return None
    try:
        code = _code_digest()
    except OSError:
        return None
    h = hashlib.sha256(code)
    h.update(kind.encode() + b"\0")
    for name in sorted(texts):
        text = texts[name]
        h.update(name.encode() + b"\0")
        h.update(b"-" if text is None else b"+" + hashlib.sha256(text.encode()).digest())
    return h.hexdigest()


def _private(info: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else."""
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return mine and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(key: str | None) -> Any | None:
    """The cached object under ``key``, or None (no cache, a miss, or an entry not trusted)."""
    folder = cache_dir()
    if folder is None or key is None:
        return None
    path = folder / f"{key}.pickle"
    try:
        if not _private(os.stat(folder)):
            return None
        with open(path, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or not _private(info):
                return None
            return pickle.load(fh)
    except Exception:  # a missing, truncated or unreadable entry is a miss, never an error
        return None


def store(key: str | None, value: Any) -> None:
    """Store ``value`` under ``key`` (silently nothing when the folder cannot be written)."""
    folder = cache_dir()
    if folder is None or key is None:
        return
    with contextlib.suppress(Exception):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.stat(folder)):
            return
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"{key}.pickle")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _prune(folder)


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
