"""Writing output files: atomically, and never over a user's file unless asked.

One helper for the CLI, the study reports and the sweep's results file, so every output
obeys the same rules: a file that exists is refused without ``force`` (nothing the user wrote
is overwritten by accident), the folder must exist, and the bytes go to a temporary file in
the same folder that is renamed into place, so a reader never sees half a file and an
interrupted write leaves the old file intact.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from planner.core.errors import InputError


def check_writable(path: Path, force: bool) -> None:
    """Refuse an output path before any work is done (an existing file without ``force``, a
    missing folder, a folder given as a file)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; pass --force to overwrite it")
    if path.parent and not path.parent.exists():
        raise InputError(f"{path}: folder {path.parent} does not exist")


def atomic_write(path: Path, write: Callable[[Path], object], force: bool) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    check_writable(path, force)
    # the temporary name keeps the suffix: some writers (HiGHS) choose the format by it
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_output(path: Path, text: str | bytes, force: bool) -> None:
    """Write text or bytes to ``path`` atomically (see the module docstring)."""

    def write(tmp: Path) -> None:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            tmp.write_text(text)

    atomic_write(path, write, force)
