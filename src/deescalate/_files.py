"""Reading a file a caller named, safely: regular files only, and never more than a limit.

``Path.read_bytes`` blocks forever on a FIFO, reads ``/dev/zero`` until memory
runs out and follows any symbolic link. :func:`read_regular` opens without
blocking, refuses anything but a regular file (and, when asked, a symbolic
link), and reads at most the limit plus one byte, so a file that grows while it
is read is still caught. Callers turn :class:`FileProblem` into their own error.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["FileProblem", "FileTooLarge", "read_regular"]

_CHUNK = 1 << 16


class FileProblem(Exception):
    """Why a file could not be read, as a short phrase for an error message."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


class FileTooLarge(FileProblem):
    """The file holds more than the limit; ``size`` is what was seen (at least limit + 1)."""

    def __init__(self, size: int, maximum: int) -> None:
        self.size = size
        self.maximum = maximum
        super().__init__(f"the file is {size:,} bytes or more; the limit is {maximum:,}")


def _describe(err: OSError) -> str:
    if err.errno == errno.ENOENT:
        return "no such file"
    if err.errno == errno.ELOOP:
        return "a symbolic link, which is not allowed here"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    if err.errno == errno.ENOTDIR:
        return "a part of the path is not a directory"
    return f"cannot be read: {os.strerror(err.errno) if err.errno else err}"


def read_regular(path: Path, maximum: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file ``path``, at most ``maximum`` of them.

    Raises :class:`FileTooLarge` for a bigger file and :class:`FileProblem` for a
    missing one, a directory, a FIFO, a device, a socket, a symbolic link (unless
    ``follow_symlinks``) or a read error.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise FileProblem(_describe(err)) from None
    except ValueError:  # a NUL byte in the path
        raise FileProblem("the path is not a valid file name") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileProblem("a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem("not a regular file (a FIFO, a device or a socket)")
        if info.st_size > maximum:
            raise FileTooLarge(info.st_size, maximum)
        chunks: list[bytes] = []
        total = 0
        while total <= maximum:
            chunk = os.read(fd, min(_CHUNK, maximum + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > maximum:
            raise FileTooLarge(total, maximum)
        return b"".join(chunks)
    except OSError as err:
        raise FileProblem(_describe(err)) from None
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory.

    The one way the package writes a file: a reader sees the old file or the new
    one, never half of either; the file keeps its permissions.
    """
    import tempfile  # only the tools write

    mode = path.stat().st_mode & 0o777 if path.exists() else None
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
