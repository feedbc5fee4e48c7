"""Writing output files: atomically, and never over a user's file unless asked.

One helper for the CLI, the study reports and the sweep's results file, so every output
obeys the same rules: a file that exists is refused without ``force`` (nothing the user wrote
is overwritten by accident), the folder must exist, and the bytes go to a temporary file in
the same folder that is renamed into place, so a reader never sees half a file and an
interrupted write leaves the old file intact.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from planner.core.errors import InputError


def resolve_output(path: Path | str) -> Path:
    """The file an output path really names: ``~`` expanded and every symbolic link resolved
    (in the file name and its folders).

    Why: the rules below (exists? a folder? a device?) and the sweep's lock must look at the
    file that will be written. A link ``out.parquet -> real.parquet`` checked as itself got
    round the lock on ``real.parquet``, and the atomic rename replaced the link instead of
    writing the file it points to.
    """
    return Path(os.path.realpath(Path(path).expanduser()))


def _shown(given: Path, real: Path) -> str:
    """How a message names an output: as given, plus where it leads when a link moved it."""
    return str(given) if Path(os.path.abspath(given)) == real else f"{given} (-> {real})"


def check_writable(path: Path, force: bool) -> Path:
    """Refuse an output path before any work is done (an existing file without ``force``, a
    missing folder, a folder given as a file, a device or pipe, a read-only place); returns
    the resolved path (symbolic links followed) that the writers use."""
    given = Path(path)
    path = resolve_output(given)
    try:
        _check_resolved(path, force)
    except InputError as exc:
        raise InputError(str(exc).replace(str(path), _shown(given, path), 1)) from None
    return path


def _check_resolved(path: Path, force: bool) -> None:
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    if path.exists() and not path.is_file():
        # a device, pipe or socket: renaming a file over it (as root, /dev/null) would break
        # the machine, and writing into it is not what an output path means
        raise InputError(f"{path}: is not a regular file; give a file name")
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; pass --force to overwrite it")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise InputError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{path}: folder {folder} is not writable (read-only or no permission)")
    if path.exists() and not os.access(path, os.W_OK) and not os.access(folder, os.W_OK):
        raise InputError(f"{path}: is read-only")


def check_output_folder(folder: Path, force: bool) -> Path:
    """Refuse an output *folder* (``sweep --report``) before any work: a file or device in
    its place, or no writable folder to create it in. Files inside it are checked (and
    ``force`` applied) when they are written. Returns the resolved folder."""
    del force  # the files inside are checked one by one when written
    given = Path(folder)
    real = resolve_output(given)
    if real.exists() and not real.is_dir():
        raise InputError(f"{_shown(given, real)}: is not a folder; give a folder for the report")
    ancestor = real
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(
            f"{_shown(given, real)}: folder {ancestor} is not writable (read-only or no permission)"
        )
    return real


def check_outputs(outputs: list[tuple[Path | None, set[str], str]], force: bool) -> None:
    """Check each (path, allowed suffixes, option name) before any work is done: a wrong
    suffix, an existing file without ``force``, a missing or read-only folder."""
    for path, suffixes, option in outputs:
        if path is None:
            continue
        if path.suffix.lower() not in suffixes:
            raise InputError(f"{option} {path}: must end in {' or '.join(sorted(suffixes))}")
        check_writable(path, force)


def atomic_write(path: Path, write: Callable[[Path], object], force: bool) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path`` and rename it into place.

    A symbolic link is followed: the file it points to is replaced, the link stays."""
    path = check_writable(path, force)
    # the temporary name keeps the suffix: some writers (HiGHS) choose the format by it
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: Path) -> None:
    """Remove a temporary file; a folder that refuses even that must not hide the first error."""
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def write_output(path: Path, text: str | bytes, force: bool) -> None:
    """Write text or bytes to ``path`` atomically (see the module docstring)."""

    def write(tmp: Path) -> None:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            tmp.write_text(text)

    atomic_write(path, write, force)


def lock_path(path: Path) -> Path:
    """The lock file beside an output (``runs.parquet`` -> ``runs.parquet.lock``)."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def exclusive_lock(path: Path | str | None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (an advisory ``flock`` on a lock file beside it).

    Why: a file rewritten as results arrive (a sweep's runs) must have one writer, or the
    second writer's renames silently drop the first one's rows. A second writer is refused
    at once, naming the process that holds the lock. The lock file stays (removing it
    could let a third process lock a different file of the same name); the lock itself is
    released when the holder exits, even by ``kill -9``.
    """
    if path is None:
        yield
        return
    import fcntl

    # the lock belongs to the file written, whatever link names it; a folder or device is
    # refused before any lock file is made (as root, /dev/null.lock would be created)
    path = check_writable(path, force=True)
    lock = lock_path(path)
    folder = lock.parent if str(lock.parent) else Path(".")
    if not folder.exists():
        raise InputError(f"{path}: folder {folder} does not exist")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(f"{path}: cannot create the lock file {lock} ({exc.strerror})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise InputError(
                f"{path}: another sweep is writing this file (process {holder} holds "
                f"{lock}); wait for it to finish or write to another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
