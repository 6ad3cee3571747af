"""Reading scenario files: YAML, ``extends:`` overlays, and errors that name file, field and fix."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ..distributions import DISTRIBUTION_KINDS
from ..errors import ScenarioError, ScenarioWarning
from ..files import finite_problems, parse_json, parse_yaml, read_text, regular_file
from ..units import parse_duration
from .checks import idle_rows, idle_rows_said, problems, roster_cautions, unknown_skills, unstaffed
from .model import Scenario
from .roster import read_roster

MAX_EXTENDS = 32  # files in one extends: chain
EXTENDS_PATH = "SERVSIM_EXTENDS_PATH"  # more folders extends: may name, separated like PATH


def load_scenario(path: str | Path, extends_roots: tuple[str | Path, ...] = ()) -> Scenario:
    """Read, merge (``extends:``) and validate a scenario file.

    ``extends:`` may name files in the scenario's own folder (and below it), in ``extends_roots`` and in the
    folders listed in the environment variable ``SERVSIM_EXTENDS_PATH``; nowhere else.

    Raises
    ------
    ScenarioError
        If the file cannot be read or the scenario is invalid; the message lists
        every problem as ``file: field.path: bad value: what was expected``.
    """
    path = Path(path)
    extra = [p for p in os.environ.get(EXTENDS_PATH, "").split(os.pathsep) if p]
    roots = tuple(Path(r).resolve() for r in (path.parent, *extends_roots, *extra))
    data = _read_merged(path, chain=(), roots=roots)
    return scenario_from_dict(_without_idle_rows(data, str(path)), source=str(path))


def _without_idle_rows(data: dict[str, Any], source: str) -> dict[str, Any]:
    """``data`` without the roster rows that change nothing in its simulated period (:func:`~.checks.idle_rows`),
    said in a warning: a roster file kept for a year need not be validated, simulated and written out whole for a
    week's run. Left as it is where the clock or a row does not read (validation says what is wrong)."""
    rows = data.get("roster")
    if not isinstance(rows, list) or len(rows) < 2:
        return data
    try:
        begin = _when(data["clock"]["start"])
        stop = begin + timedelta(minutes=parse_duration(data["clock"]["horizon"]))
        spans = [(str(r["team"]), _when(r["start"]), _when(r["end"])) for r in rows]
        idle = idle_rows(spans, begin, stop)
    except (KeyError, TypeError, ValueError):
        return data
    if idle:
        warnings.warn(f"{source}: {idle_rows_said(idle, len(rows), begin, stop)} and are left out", ScenarioWarning,
                      stacklevel=3)
        dropped = set(idle)
        data = {**data, "roster": [r for i, r in enumerate(rows) if i not in dropped]}
    return data


def _when(value: Any) -> datetime:
    """A date and time of a scenario mapping (a ``datetime``, or text as YAML leaves it)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a plain mapping (already merged) into a :class:`Scenario`."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping of sections, got {type(data).__name__}")
    found = finite_problems(data)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:  # every problem at once: the non-finite numbers, the schema's, the cross-checks'
        said = {path for path, _ in found}
        found += [p for p in _validation_problems(exc) if p[0] not in said]
        found += [p for p in _problems_beyond_schema(data, exc) if p not in found]
        raise _problems(source, found) from None
    found += problems(scenario)
    if found:
        raise _problems(source, found)
    for caution in roster_cautions(scenario) + unstaffed(scenario) + unknown_skills(scenario):
        warnings.warn(f"{source}: {caution}", ScenarioWarning, stacklevel=2)
    return scenario


def deep_merge(base: dict[str, Any], change: dict[str, Any], _parent: str = "", fresh: bool = False
               ) -> dict[str, Any]:
    """Merge ``change`` into a copy of ``base``: mappings merge key by key, anything else is replaced.

    A probability table (a route ``next:``, a share table under ``mix:``) and a distribution
    (a mapping with ``kind:``) are single values: a change replaces them whole, since merging
    two probability rows or two distributions' parameters makes no sense. With ``fresh`` (both just read and
    used nowhere else) ``base`` is merged into in place, nothing copied (a roster of a million rows).
    """
    out = base if fresh else copy.deepcopy(base)
    for key, value in change.items():
        atomic = key == "next" or _parent == "mix" or (isinstance(value, dict) and "kind" in value)
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not atomic:
            out[key] = deep_merge(out[key], value, key, fresh)
        else:
            out[key] = value if fresh else copy.deepcopy(value)
    return out


def set_path(data: dict[str, Any], path: str, value: Any, what: str = "path") -> dict[str, Any]:
    """A copy of scenario ``data`` with the dotted ``path`` set to ``value``; the path must already exist."""
    out = copy.deepcopy(data)
    node: Any = out
    keys = path.split(".")
    for depth, key in enumerate(keys):
        where = ".".join(keys[:depth]) or "the scenario"
        if not isinstance(node, dict) or key not in node:
            known = ", ".join(map(str, node)) if isinstance(node, dict) else "nothing (it is a value)"
            raise ScenarioError(f"unknown {what} {path!r}: {key!r} is not in {where} (it has: {known})")
        if depth == len(keys) - 1:
            node[key] = value
        else:
            node = node[key]
    return out


def _read_merged(path: Path, chain: tuple[Path, ...], roots: tuple[Path, ...]) -> dict[str, Any]:
    resolved = regular_file(path, "scenario file", ScenarioError).resolve()
    if resolved in chain:
        loop = " -> ".join(str(p.name) for p in (*chain, resolved))
        raise ScenarioError(f"{path}: extends: circular chain of files ({loop})")
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(f"{path}: extends: a chain of more than {MAX_EXTENDS} files; a change names its baseline, "
                            "which names few others")
    text = read_text(path, "scenario file", error=ScenarioError)
    parse = parse_json if path.suffix.lower() == ".json" else parse_yaml
    data = parse(text, str(path), ScenarioError)
    if data is None:
        raise ScenarioError(f"{path}: empty; a scenario file is a mapping of sections (clock, demand, teams, ...)")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario file must be a mapping of sections (clock, demand, teams, ...)")
    if isinstance(data.get("roster"), str):  # a roster file, relative to the file that names it
        data["roster"] = read_roster(path.parent / data["roster"], named_in=path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(f"{path}: extends: {_short(parent)} is not a file name; expected e.g. 'baseline.yaml'")
    base_path = path.parent / parent  # relative to the file that names it, not to the working directory
    if not base_path.exists():
        raise ScenarioError(f"{path}: extends: {parent!r} not found (looked for {base_path})")
    try:
        inside = any(base_path.resolve().is_relative_to(root) for root in roots)
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        raise ScenarioError(f"{path}: extends: {parent!r} is outside the scenario's folder; copy the baseline next "
                            f"to the change, or allow its folder (load_scenario(extends_roots=...), or the "
                            f"environment variable {EXTENDS_PATH})")
    return deep_merge(_read_merged(base_path, (*chain, resolved), roots), data, fresh=True)


MAX_PRUNE_ROUNDS = 20


def _problems_beyond_schema(data: dict[str, Any], exc: ValidationError) -> list[tuple[str, str]]:
    """The cross-section problems of a scenario whose schema check failed, so that one run reports everything.

    Each invalid value is taken out (a field then takes its default; a required one takes its entry with it)
    until the rest validates; then the cross-checks run on the rest, keeping only what does not follow from
    a removal (a stage taken out is not reported again as unknown)."""
    rest, removed = copy.deepcopy(data), []
    for _ in range(MAX_PRUNE_ROUNDS):
        if not any(_remove(rest, err, removed) for err in exc.errors(include_url=False)):
            return []
        try:
            scenario = Scenario.model_validate(rest)
        except ValidationError as again:
            exc = again
            continue
        names = {f"'{loc[-1]}'" for loc in removed if isinstance(loc[-1], str)}
        paths = [".".join(map(str, loc)) for loc in removed]
        return [(path, message) for path, message in problems(scenario)
                if not any(path.startswith(p) or p.startswith(path) for p in paths)
                and not any(name in message.split(";")[0] for name in names)]
    return []


def _remove(data: dict[str, Any], err: Any, removed: list[tuple[Any, ...]]) -> bool:
    """Take the value an error points at out of ``data`` (its container if the value is missing)."""
    loc, node = [], data
    for part in err["loc"]:  # the path as far as it exists in the data (pydantic adds union tags; a missing
        # field's path ends in its container)
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) \
                and -len(node) <= part < len(node):
            loc.append(part)
            node = node[part]
    if not loc:
        return False
    parent = data
    for part in loc[:-1]:
        parent = parent[part]
    try:
        del parent[loc[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    removed.append(tuple(loc))
    return True


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problems(source: str, found: list[tuple[str, str]]) -> ScenarioError:
    lines = [f"{source}: {path}: {message}" for path, message in found]
    return ScenarioError(f"{len(lines)} problem(s) in the scenario:\n" + "\n".join(lines))


def _validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """``(field path, message)`` for each of pydantic's errors, worded for a scenario file's author."""
    out = []
    for err in exc.errors(include_url=False):
        *parents, last = err["loc"] or ("",)  # the last part is the user's own key, whatever it looks like
        loc = [part for part in parents if not _is_union_tag(part)] + ([last] if last != "" else [])
        if err["type"] != "extra_forbidden" and _is_union_tag(last):
            loc = loc[:-1]
        path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            known = _fields_at(Scenario, list(err["loc"][:-1]))
            close = difflib.get_close_matches(str(last), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message = f"unknown key; {hint}expected one of: {', '.join(known)}"
        elif err["type"] == "union_tag_invalid":
            kind = err["input"].get("kind") if isinstance(err["input"], dict) else err["input"]
            message = f"unknown distribution kind {kind!r}; expected one of: " + \
                err["ctx"]["expected_tags"].replace("'", "")
        elif err["type"] == "missing":
            message = "missing (required)"
        value = err.get("input")
        shown = "" if err["type"] in ("missing", "extra_forbidden", "union_tag_invalid") \
            or isinstance(value, dict) or repr(value) in message else f"{value!r}: "
        out.append((path or "(top level)", f"{shown}{message}"))
    return out


def _is_union_tag(part: Any) -> bool:
    # pydantic adds the discriminator value or a type name to the location of union members
    return isinstance(part, str) and (part in DISTRIBUTION_KINDS
                                      or part.startswith(("dict[", "function-", "str", "list[")))


def _fields_at(model: type[BaseModel], loc: list[Any]) -> list[str]:
    """The keys accepted at ``loc`` inside ``model`` (empty if ``loc`` leads elsewhere than a model)."""
    current: Any = model
    for part in loc:
        member = _union_member(current, part)
        if member is not None:  # pydantic puts a union member's tag (e.g. 'lognormal') in the location
            current = member
            continue
        current = _model_in(current)
        if current is None:
            return []
        if isinstance(current, dict):  # a mapping: the part is a user's key, step into its values
            current = current["values"]
            continue
        field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return []
        current = field.annotation
    current = _model_in(current)
    return [f.alias or n for n, f in current.model_fields.items()] if isinstance(current, type) else []


def _union_member(annotation: Any, tag: Any) -> type[BaseModel] | None:
    for arg in get_args(annotation):
        found = _union_member(arg, tag)
        if found is not None:
            return found
        kind = getattr(arg, "model_fields", {}).get("kind")
        if kind is not None and tag in get_args(kind.annotation):
            return arg
    return None


def _model_in(annotation: Any) -> Any:
    """The model class inside ``annotation`` (unwrapping Optional), or ``{"values": T}`` for ``dict[str, T]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is dict:
        return {"values": get_args(annotation)[1]}
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML (every default filled in, durations in minutes)."""
    return yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True)


def scenario_hash(scenario: Scenario) -> str:
    """A stable short hash of the validated scenario's content."""
    canonical = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
