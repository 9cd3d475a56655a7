"""Files and folders the product creates: owner-only (folders 0700, files 0600), whatever the umask.

They hold recipients' phone numbers and the settings; nobody else on the machine needs to read them. Every
function here creates something when called and nothing at import.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from tracker import locations
from tracker.errors import StorageError

__all__ = ["create_private_file", "ensure_data_dir", "make_private_dir", "write_private_text"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) if needed; a folder this call creates is owner-only (0700).

    Raises `StorageError` when it cannot be created.
    """
    if not path.is_dir():
        try:
            path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
        except OSError as exc:
            raise StorageError(f"cannot create folder {path}: {exc.strerror}") from None
    return path


def create_private_file(path: Path) -> None:
    """Create an empty file readable and writable by its owner only (0600); an existing file is left alone.

    SQLite treats an empty file as an empty database and creates its `-wal` and `-shm` files with the
    database file's permissions, so the whole database stays owner-only. Raises `StorageError` when it cannot be created (a read-only folder, a full disk).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        raise StorageError(f"cannot create {path}: {exc.strerror}") from None
    os.close(fd)
    os.chmod(path, FILE_MODE)


def write_private_text(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) atomically, as an owner-only file (0600) in a folder made 0700 if new.

    Raises `StorageError` when the folder cannot be created, `OSError` when the file cannot be written.
    """
    make_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def ensure_data_dir() -> Path:
    """The user data folder (see `tracker.locations.user_data_dir`), created owner-only if missing.

    Never creates a home folder: a service account whose home does not exist (`HOME=/nonexistent`) gets a
    `StorageError` (exit 5) saying to set `BEIAN_DATA_DIR` or `BEIAN_DATABASE_URL`, as does a folder that
    cannot be created.
    """
    folder = locations.user_data_dir()
    hint = "set BEIAN_DATA_DIR to a writable folder, or BEIAN_DATABASE_URL to a database"
    if not os.environ.get("BEIAN_DATA_DIR"):
        home = Path.home()
        if folder.is_relative_to(home) and not home.is_dir():
            raise StorageError(f"no usable data folder: the home folder {home} does not exist", hint=hint)
    try:
        return make_private_dir(folder)
    except StorageError as exc:
        raise StorageError(f"no usable data folder: {exc.message}", hint=hint) from None
