"""Per-replication results on disk, so an interrupted experiment resumes where it stopped.

Layout of an experiment folder::

    manifest.json                         scenarios (name, hash, source), seed, servsim version
    replications/<name>-<hash>/seed<S>-rep<R>.json

A scenario's results live under its content hash: changing a scenario invalidates
only its own results; the others are reused. Each file carries its seed, replication,
scenario hash and a checksum of its content; a file that is damaged, edited or copied from
another replication is recomputed (with a warning), never reused. A lock file keeps two
experiments from writing into one folder at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ServsimError, ServsimWarning
from ..files import write_text

LOCK = ".servsim.lock"
MAX_FILE_BYTES = 10 * 1024 * 1024


class ReplicationStore:
    """Read and write finished replications under ``root`` (no-op when ``root`` is None)."""

    def __init__(self, root: str | Path | None) -> None:
        self.root = Path(root) if root is not None else None

    def _path(self, name: str, scenario_hash: str, seed: int, replication: int) -> Path:
        assert self.root is not None
        return self.root / "replications" / f"{_safe(name)}-{scenario_hash}" / f"seed{seed}-rep{replication}.json"

    def load(self, name: str, scenario_hash: str, seed: int, replication: int) -> dict[str, Any] | None:
        if self.root is None:
            return None
        path = self._path(name, scenario_hash, seed, replication)
        if not path.exists():
            return None
        stored = _stored(path, {"seed": seed, "replication": replication, "scenario_hash": scenario_hash})
        if isinstance(stored, str):  # why it cannot be used
            warnings.warn(f"{path}: {stored}; recomputing this replication", ServsimWarning, stacklevel=2)
            return None
        return stored

    def save(self, name: str, scenario_hash: str, summary: dict[str, Any]) -> None:
        if self.root is None:
            return
        path = self._path(name, scenario_hash, summary["seed"], summary["replication"])
        path.parent.mkdir(parents=True, exist_ok=True)
        summary = {**summary, "scenario_hash": scenario_hash}
        summary["checksum"] = _checksum(summary)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a reader never sees half a file

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        if self.root is None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        # no indent: json's C encoder (a calibrated scenario is megabytes; the indenting encoder is pure Python)
        write_text(self.root / "manifest.json", json.dumps(manifest))


    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock while an experiment writes into it; a lock left by a process that is gone is
        taken over."""
        if self.root is None:
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        lock = self.root / LOCK
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                break
            except FileExistsError:
                owner = _owner(lock)
                if owner is not None and _alive(owner):
                    raise ServsimError(f"{self.root}: another servsim process (pid {owner}) is writing into this "
                                       f"folder; wait for it, or use another --out (remove {lock} if it is stale)"
                                       ) from None
                lock.unlink(missing_ok=True)  # stale: its process is gone
        else:
            raise ServsimError(f"{self.root}: cannot take the lock {lock}")
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)


def _stored(path: Path, expected: dict[str, Any]) -> dict[str, Any] | str:
    """The replication stored at ``path``, or why it cannot be used."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return "not a replication file"
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "not readable JSON (cut short or damaged)"
    if not isinstance(summary, dict) or any(summary.get(k) != v for k, v in expected.items()):
        return "it belongs to another replication or scenario"
    if summary.get("checksum") != _checksum(summary):
        return "its content does not match its checksum (edited or damaged)"
    return summary


def _checksum(summary: dict[str, Any]) -> str:
    content = {k: v for k, v in summary.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


def _owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.=" else "_" for c in name)[:80]
