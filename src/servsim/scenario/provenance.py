"""Where a scenario's numbers came from, and which changes touch numbers nobody measured.

A calibrated scenario records in ``provenance`` which fields the log identified and which were assumed
(``field.path`` with ``*`` wildcards -> ``"identified: ..."`` or ``"assumed: ..."``). Comparing a change
against such a baseline, the difference is only as good as the number changed: ``assumed_changes`` names
the changed fields whose baseline value was assumed.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from .model import Scenario


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: data}


def changed_fields(base: Scenario, other: Scenario) -> dict[str, tuple[Any, Any]]:
    """Every field (dotted path) whose value differs between ``base`` and ``other`` -> (base's, other's);
    ``None`` where a side does not have the field."""
    a = _leaves(base.model_dump(mode="json", by_alias=True, exclude={"name", "description", "provenance"}))
    b = _leaves(other.model_dump(mode="json", by_alias=True, exclude={"name", "description", "provenance"}))
    return {path: (a.get(path), b.get(path)) for path in sorted(set(a) | set(b)) if a.get(path) != b.get(path)}


def assumed_changes(base: Scenario, other: Scenario) -> dict[str, str]:
    """Fields that differ between ``base`` and ``other`` and that ``base`` marks as assumed -> the reason."""
    assumed = {pattern: why for pattern, why in base.provenance.items() if why.lower().startswith("assumed")}
    if not assumed:
        return {}
    out = {}
    for path in changed_fields(base, other):
        for pattern, why in assumed.items():
            if fnmatchcase(path, pattern) or fnmatchcase(path, pattern + ".*"):
                out[path] = why
                break
    return out
