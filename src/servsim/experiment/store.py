"""Per-replication results on disk, so an interrupted experiment resumes where it stopped.

Layout of an experiment folder::

    manifest.json                         scenarios (name, hash, source), seed, servsim version
    replications/<name>-<hash>/seed<S>-rep<R>.json

A scenario's results live under its content hash: changing a scenario invalidates
only its own results; the others are reused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


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
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return None  # a file cut short by an interruption: recompute it

    def save(self, name: str, scenario_hash: str, summary: dict[str, Any]) -> None:
        if self.root is None:
            return
        path = self._path(name, scenario_hash, summary["seed"], summary["replication"])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a reader never sees half a file

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        if self.root is None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.=" else "_" for c in name)[:80]
