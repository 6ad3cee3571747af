"""Dated rosters from a file: a CSV or Parquet table ``team, start, end, headcount`` (and optionally ``skills``, a
skill group's categories separated by spaces or semicolons) that a scenario's ``roster:`` names instead of listing
the rows inline (workforce planners keep interval tables)."""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ScenarioError, ScenarioWarning
from ..files import regular_file
from ..units import UTC_OFFSET

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["team", "start", "end", "headcount"]
MAX_ROSTER_BYTES = 64 << 20  # a roster file larger than this is refused (a row of CSV is about 40 bytes)


def read_roster(path: Path, named_in: Path) -> list[dict]:
    """The rows of the roster file ``path`` (named in the scenario file ``named_in``) as mappings.

    Raises ``ScenarioError`` naming the file, the column and the first bad rows (1-based, header excluded).
    """
    import pandas as pd  # only scenarios with a roster file need it: `validate` starts faster without

    where = f"{named_in}: roster: {path}"
    if not path.exists():
        raise ScenarioError(f"{where}: file not found (a path is relative to the scenario file)")
    regular_file(path, "roster file", ScenarioError)  # not a folder, a pipe or a device
    if path.stat().st_size > MAX_ROSTER_BYTES:
        raise ScenarioError(f"{where}: larger than {MAX_ROSTER_BYTES >> 20} MiB (some two million rows); a roster "
                            "that large is refused: keep the rows of the simulated period, or write it as Parquet")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            table = pd.read_parquet(path)
        else:  # every field as text; a row with more fields than the header is an error, not a shifted row
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                table = pd.read_csv(path, dtype=str, skipinitialspace=True, index_col=False)
    except pd.errors.ParserWarning:
        rows = list(csv.reader(regular_file(path, "roster file", ScenarioError).read_text().splitlines()))
        longer = [i for i, fields in enumerate(rows[1:], 1) if len(fields) > len(rows[0])][:5]
        raise ScenarioError(f"{where}: row(s) {longer} have more fields than the header ({', '.join(rows[0])})"
                            ) from None
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{where}: cannot be read as a roster table ({exc})") from None
    names = [str(c).strip() for c in table.columns]
    twice = sorted({c for c in names if names.count(c) > 1} | {c for c in COLUMNS if f"{c}.1" in names})
    if twice:
        raise ScenarioError(f"{where}: column(s) {twice} appear more than once; expected columns {', '.join(COLUMNS)}")
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ScenarioError(f"{where}: missing column(s) {missing}; expected columns {', '.join(COLUMNS)}")
    if table.empty:
        warnings.warn(f"{where}: no rows; the teams' weekly shifts apply", ScenarioWarning, stacklevel=3)
    out = pd.DataFrame({"team": table["team"].astype("string").str.strip()})
    for column in ("start", "end"):
        text = table[column].astype("string").str.strip()
        _refuse(where, column, text.str.contains(UTC_OFFSET, na=False), "has a time-zone offset; a roster is in the "
                "scenario's local wall-clock time (YYYY-MM-DD HH:MM, no offset)", table[column])
        out[column] = pd.to_datetime(text, errors="coerce", format="ISO8601")
        _refuse(where, column, out[column].isna(), "is not a date and time (YYYY-MM-DD HH:MM)", table[column])
    if table["headcount"].dtype == bool:  # (a typed table's True is no headcount)
        _refuse(where, "headcount", table["headcount"].notna(), "is not a whole number >= 0", table["headcount"])
    out["headcount"] = pd.to_numeric(table["headcount"], errors="coerce")
    whole = out["headcount"].notna() & (out["headcount"] % 1 == 0) & (out["headcount"] >= 0)
    _refuse(where, "headcount", ~whole, "is not a whole number >= 0", table["headcount"])
    _refuse(where, "team", out["team"].isna() | (out["team"] == ""), "is empty", table["team"])
    columns = (out["team"].tolist(), out["start"].dt.to_pydatetime().tolist(), out["end"].dt.to_pydatetime().tolist(),
               out["headcount"].astype(int).tolist())
    rows = [{"team": team, "start": start, "end": end, "headcount": headcount}
            for team, start, end, headcount in zip(*columns)]
    if "skills" in table.columns:  # a skill group's categories; empty: the team's skills
        for row, text in zip(rows, table["skills"].astype("string").fillna("")):
            held = [skill for skill in re.split(r"[;\s]+", text.strip()) if skill]
            if held:
                row["skills"] = held
    return rows


def _refuse(where: str, column: str, bad: pd.Series, what: str, raw: pd.Series) -> None:
    if bad.any():
        rows = [int(i) + 1 for i in bad.to_numpy().nonzero()[0][:5]]
        examples = ", ".join(f"row {r}: " + ("(empty)" if raw.isna().iloc[r - 1] else repr(str(raw.iloc[r - 1])))
                             for r in rows)
        raise ScenarioError(f"{where}: {column} {what} in {int(bad.sum())} row(s) ({examples})")
