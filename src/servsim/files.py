"""Reading the files a user names, safely: regular files only, a size cap, UTF-8 with a clear hint, and a YAML
loader that rejects duplicate keys, runaway aliases and deep nesting.

Every error is a :class:`~servsim.errors.ServsimError` (or the ``error`` class the caller passes) that names the
file and says what was expected; nothing here lets an ``OSError``, ``UnicodeDecodeError``, ``RecursionError`` or
a YAML traceback through, and nothing reads past the cap (a FIFO, ``/dev/zero`` or a directory is refused before
it is opened).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import yaml

from .errors import ServsimError

MAX_TEXT_BYTES = 16 * 1024 * 1024  # a scenario, mapping or roster file larger than this is not one
MAX_DATA_BYTES = 1 << 30  # an export larger than this (once decompressed) is refused: some ten million rows
MAX_FIELD_CHARS = 32_767  # a field of an export longer than this (a spreadsheet cell's limit) is not one
MAX_YAML_NODES = 200_000  # values in a YAML document, counting each use of an alias again ...
CHARACTERS_PER_NODE = 4  # ... or, in a larger file, one per this many characters: written out, a value takes more
MAX_YAML_DEPTH = 64  # nesting of mappings and lists


def regular_file(path: str | Path, what: str = "file", error: type[Exception] = ServsimError) -> Path:
    """``path`` if it names a readable regular file (symlinks followed); else ``error`` saying what it is."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except PermissionError:
        raise error(f"{path}: permission denied; cannot read this {what}") from None
    except OSError as exc:  # a symlink loop, a name too long, ...
        raise error(f"{path}: cannot read this {what}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{path}: is a folder; expected a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{path}: is not a regular file (a pipe, socket or device); expected a {what}")
    if not os.access(path, os.R_OK):
        raise error(f"{path}: permission denied; cannot read this {what}")
    return path


def read_text(path: str | Path, what: str = "file", limit: int = MAX_TEXT_BYTES,
              error: type[Exception] = ServsimError) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes (a byte-order mark is dropped)."""
    path = regular_file(path, what, error)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read this {what}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise error(f"{path}: larger than {limit // (1024 * 1024)} MiB; a {what} is much smaller than that")
    if b"\x00" in raw[:8192]:
        raise error(f"{path}: a binary file (it contains NUL bytes); expected a {what} as UTF-8 text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise error(f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8; save the {what} as UTF-8 "
                    "(it may be Latin-1 or Windows-1252: re-encode it, e.g. 'iconv -f latin1 -t utf-8')") from None


@contextmanager
def writing(path: str | Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (with its suffix) to write to, put in its place when the block ends: a
    reader, or a run cut short by a signal or a full disk, never finds half a file at ``path``. An ``OSError`` (a
    full disk, a read-only folder) is a :class:`~servsim.errors.ServsimError` naming ``path``."""
    path = Path(path)
    part = path.with_name(f".{path.stem}.{os.getpid()}.part{path.suffix}")
    try:
        yield part
        os.replace(part, path)
    except OSError as exc:
        raise ServsimError(f"{path}: cannot write it: {exc.strerror or exc}") from None
    finally:
        with suppress(OSError):
            part.unlink()


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`writing`."""
    with writing(path) as part:
        part.write_text(text, encoding="utf-8")
    return Path(path)


def write_csv(path: str | Path, frame: Any, **options: Any) -> Path:
    """Write a pandas DataFrame to ``path`` as CSV (without its index; ``options`` for ``to_csv``) through
    :func:`writing`."""
    with writing(path) as part:
        frame.to_csv(part, index=False, **options)
    return Path(path)


def write_figure(path: str | Path, fig: Any, dpi: int) -> Path:
    """Save a matplotlib figure to ``path`` (its format from the suffix) through :func:`writing`."""
    with writing(path) as part:
        fig.savefig(part, dpi=dpi)
    return Path(path)


def columns_excerpt(names: Any, limit: int = 12, header: bool = True) -> str:
    """The column names of a file, for an error message: at most ``limit`` of them, and only where they look like
    column names (a file given by mistake, say a system or key file, is described, never quoted): short, of a few
    words, and, for a whole ``header``, at least two of them (a file of one column is text, not an export)."""
    names = [str(name) for name in names]
    if (header and len(names) < 2) or not all(_COLUMN_NAME.fullmatch(name) for name in names[:limit]):
        return (f"{len(names)} column(s) that do not look like a header (not quoted: the file may not be an "
                "export at all)")
    more = f", ... ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


_COLUMN_NAME = re.compile(r"(?=[^-=]*[A-Za-z])(?!(?:\S* ){4})[\w .()#%/+-]{1,40}")  # at most four spaces


def read_data(path: str | Path, what: str = "file", limit: int | None = None,
              error: type[Exception] = ServsimError) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (default ``MAX_DATA_BYTES``), decompressed (gzip): a
    larger file, or one that decompresses to more, is ``error`` naming the file and the limit, refused before it is
    read (:func:`_within_size`)."""
    import gzip
    import zlib

    path = regular_file(path, what, error)
    _within_size(path, what, error, limit)
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as exc:
        raise error(f"{path}: not a readable {what} ({getattr(exc, 'strerror', None) or exc})") from None


def parse_yaml(text: str, source: str, error: type[Exception] = ServsimError) -> Any:
    """Parse one YAML document, refusing duplicate keys, more than ``MAX_YAML_NODES`` values or one per
    ``CHARACTERS_PER_NODE`` characters of the text, whichever is more (alias bombs: a large calibrated file holds
    as many values as it has room for, a bomb far more), and
    nesting deeper than ``MAX_YAML_DEPTH``. Times of day such as ``17:00`` stay strings (YAML 1.1 would read a
    number of minutes), and an impossible date such as ``2026-13-01`` stays a string for validation to report."""
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, source, error, max(MAX_YAML_NODES, len(text) // CHARACTERS_PER_NODE))
        return loader.construct_document(node)
    except _Refused as exc:
        raise error(f"{source}: {exc}") from None
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1
        raise error(f"{source}: line {line}: character #x{exc.character:04x} is not allowed in YAML text") from None
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own cap, far above ours
            raise error(f"{source}: nested more than {MAX_YAML_DEPTH} levels deep; not a servsim file") from None
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise error(f"{source}: not valid YAML: {where}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {exc}") from None
    except RecursionError:
        raise error(f"{source}: nested more than {MAX_YAML_DEPTH} levels deep; not a servsim file") from None
    finally:
        if loader is not None:
            loader.dispose()


def parse_json(text: str, source: str, error: type[Exception] = ServsimError) -> Any:
    """Parse a JSON document (a machine-written scenario: many times faster to read than the same in YAML),
    refusing duplicate keys."""
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _Refused(f"duplicate key {key!r}; a key may appear once in an object")
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except _Refused as exc:
        raise error(f"{source}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise error(f"{source}: nested too deeply; not a servsim file") from None


def load_yaml(path: str | Path, what: str = "file", error: type[Exception] = ServsimError) -> Any:
    """:func:`read_text` then :func:`parse_yaml`."""
    return parse_yaml(read_text(path, what, error=error), str(path), error)


class _Refused(Exception):
    pass


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser: 10x faster on large files
    """A safe loader with YAML 1.2-like numbers (no base-60) and duplicate keys refused (nesting is capped by
    :func:`_check_size`)."""

    yaml_implicit_resolvers = {key: [(tag, rx) for tag, rx in resolvers
                                     if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
                               for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def construct_mapping(self, node, deep=False):  # noqa: ANN001
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _Refused(f"line {key_node.start_mark.line + 1}: a key must be a name, not a list or "
                               "mapping") from None
            if key in seen:
                raise _Refused(f"line {key_node.start_mark.line + 1}: duplicate key {key!r} (first at line "
                               f"{seen[key]}); a key may appear once in a mapping")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_timestamp(self, node):  # noqa: ANN001
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*|0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
                    r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _check_size(root: yaml.Node, source: str, error: type[Exception], limit: int) -> None:
    """Count the values the document expands to (each alias use again) without expanding it, and refuse nesting
    deeper than ``MAX_YAML_DEPTH``."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if isinstance(node, yaml.ScalarNode):
            total = 1
        else:
            if depth > MAX_YAML_DEPTH:
                raise _Refused(f"line {node.start_mark.line + 1}: nested more than {MAX_YAML_DEPTH} levels deep; "
                               "not a servsim file")
            sizes[id(node)] = limit + 1  # a node that contains itself expands without end
            children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
            total = 1 + sum(size(child, depth + 1) for child in children)
        sizes[id(node)] = min(total, limit + 1)
        return sizes[id(node)]

    if size(root, 1) > limit:
        raise error(f"{source}: expands to more than {limit:,} values (aliases used over and over?); "
                    "not a servsim file")


def finite_problems(data: Any) -> list[tuple[str, str]]:
    """``(field path, message)`` for every number in ``data`` that is infinite or not a number."""
    out: list[tuple[str, str]] = []
    _walk(data, (), out)
    return out


def _walk(data: Any, keys: tuple[str, ...], out: list[tuple[str, str]]) -> None:
    """Add ``data``'s problems to ``out``; the path is written only for a problem (a calibrated file has a million
    numbers)."""
    if isinstance(data, dict):
        values = data.values()
        if all(type(value) is float for value in values) and all(map(math.isfinite, values)):  # a quantile table
            return
        for key, value in data.items():
            if _to_walk(value):
                _walk(value, (*keys, f".{key}"), out)
    elif isinstance(data, list):
        if all(type(value) is float for value in data) and all(map(math.isfinite, data)):
            return
        records = all(type(value) is dict for value in data)  # a roster's rows: their values checked in place
        for i, value in enumerate(data):
            if any(map(_to_walk, value.values())) if records else _to_walk(value):
                _walk(value, (*keys, f"[{i}]"), out)
    elif isinstance(data, float) and not math.isfinite(data):
        out.append((_path(keys), f"{data}: expected a finite number"))
    elif isinstance(data, dt.datetime) and data.tzinfo is not None:
        out.append((_path(keys), f"{data.isoformat()}: a time with a time zone; expected a local date and time "
                                 "(the desk's wall clock), e.g. 2026-01-05 08:00"))


def _to_walk(value: Any) -> bool:
    """Whether :func:`_walk` has something to look at in ``value``: a container, a number that is not finite or a
    time with a time zone (checked in place: a roster has a million values)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, (dict, list)) or (isinstance(value, dt.datetime) and value.tzinfo is not None)


def _path(keys: tuple[str, ...]) -> str:
    """``a.b[2].c`` for the keys ``(".a", ".b", "[2]", ".c")``."""
    return "".join(keys).removeprefix(".") or "(top level)"


def _within_size(path: Path, what: str, error: type[Exception], limit: int | None = None) -> None:
    """Refuse a file of more than ``limit`` bytes once decompressed, before anything reads it whole: a zip by the
    sizes its members declare (reading stops there), a gzip by decompressing it as a stream without keeping it."""
    import gzip
    import zipfile
    import zlib

    limit = MAX_DATA_BYTES if limit is None else limit
    too_big = f"{path}: larger than {limit / 2**20:,.0f} MiB{{}}; a {what} this large is refused (split it by period)"
    try:
        with open(path, "rb") as handle:
            gzipped = handle.read(2) == b"\x1f\x8b"
        packed = gzipped or zipfile.is_zipfile(path)
        if not packed:
            size = path.stat().st_size
        elif gzipped:
            size = 0
            with gzip.open(path, "rb") as stream:
                while size <= limit and (chunk := stream.read(1 << 22)):
                    size += len(chunk)
        else:
            with zipfile.ZipFile(path) as archive:
                size = sum(member.file_size for member in archive.infolist())
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile):
        return  # unreadable: the reader says how
    if size > limit:
        raise error(too_big.format(" once decompressed" if packed else ""))


def read_table(path: str | Path, what: str, error: type[Exception] = ServsimError, **options: Any):  # noqa: ANN201
    """A CSV (or a zip or gzip holding one) as a pandas DataFrame, with ``options`` for ``pandas.read_csv``; an
    empty file, a header without rows, a wrong encoding or a broken archive is ``error`` naming the file."""
    import zipfile

    import pandas as pd

    path = regular_file(path, what, error)
    _within_size(path, what, error)
    encoding = options.get("encoding") or "utf-8"
    try:
        table = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise error(f"{path}: empty file; expected a CSV {what} with a header row") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: byte 0x{exc.object[exc.start]:02x} is not {encoding} text; expected a CSV {what} in "
                    f"{encoding} (re-save it as UTF-8, or give its encoding, e.g. latin-1, in the mapping's "
                    "encoding:)") from None
    except (zipfile.BadZipFile, EOFError) as exc:
        raise error(f"{path}: not a readable archive ({exc}); expected a CSV {what}, or a zip holding one") from None
    except pd.errors.ParserError as exc:
        raise error(f"{path}: not a readable CSV {what}: {str(exc).strip()}") from None
    except ValueError as exc:  # e.g. a zip holding several files
        raise error(f"{path}: cannot read this {what}: {exc}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read this {what}: {exc.strerror or exc}") from None
    for column in table.columns:
        if table[column].dtype.kind in "OT":  # text: no field of an export is megabytes long
            try:
                lengths = table[column].str.len()
            except AttributeError:  # no text in it after all
                continue
            if lengths.max() > MAX_FIELD_CHARS:
                raise error(f"{path}: row {int(lengths.idxmax()) + 2}, column "
                            f"{columns_excerpt([column], header=False)}: a field of {int(lengths.max()):,} "
                            f"characters; a {what}'s fields are at most "
                            f"{MAX_FIELD_CHARS:,} (a spreadsheet cell's limit): not an export, or a broken quote")
    if table.empty and options.get("nrows") != 0:
        raise error(f"{path}: a header ({columns_excerpt(table.columns)}) but no rows; expected a CSV {what} "
                    "with at least one row")
    return table
