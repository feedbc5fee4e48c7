"""Reading the files a user hands us (scenario YAML, data CSVs): regular files of bounded size.

Why a helper: opening a FIFO or a device blocks (``sovplan solve /dev/stdin`` waits for ever,
a named pipe hangs), and a huge file costs minutes before any check. A UTF-8 byte-order mark
(what Excel writes when saving "CSV UTF-8") is accepted transparently: it is stripped, so the
first header or key is read as the user sees it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from planner.core.errors import InputError

#: largest scenario file read (scenarios are a few kB; lists are capped in the schema too)
MAX_SCENARIO_BYTES = 1_000_000
#: largest data table read
MAX_TABLE_BYTES = 50_000_000


def read_input_text(path: Path, what: str, max_bytes: int) -> str:
    """The text of a regular file, or an InputError naming the file and the reason."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder, expected a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: not a regular file (a pipe or device); give a {what}")
    if info.st_size > max_bytes:
        raise InputError(
            f"{path}: {info.st_size:,} bytes is too large for a {what} (at most {max_bytes:,})"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the {what} as UTF-8"
        ) from None
