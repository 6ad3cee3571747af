"""Dated rosters from a file: a CSV or Parquet table ``team, start, end, headcount`` that a scenario's
``roster:`` names instead of listing the rows inline (workforce planners keep interval tables)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ScenarioError
from ..files import regular_file

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["team", "start", "end", "headcount"]


def read_roster(path: Path, named_in: Path) -> list[dict]:
    """The rows of the roster file ``path`` (named in the scenario file ``named_in``) as mappings.

    Raises ``ScenarioError`` naming the file, the column and the first bad rows (1-based, header excluded).
    """
    import pandas as pd  # only scenarios with a roster file need it: `validate` starts faster without

    where = f"{named_in}: roster: {path}"
    if not path.exists():
        raise ScenarioError(f"{where}: file not found (a path is relative to the scenario file)")
    regular_file(path, "roster file", ScenarioError)  # not a folder, a pipe or a device
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path, dtype={"team": str}, skipinitialspace=True)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{where}: cannot be read as a roster table ({exc})") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ScenarioError(f"{where}: missing column(s) {missing}; expected columns {', '.join(COLUMNS)}")
    out = pd.DataFrame({"team": table["team"].astype("string").str.strip()})
    for column in ("start", "end"):
        out[column] = pd.to_datetime(table[column], errors="coerce", format="ISO8601")
        _refuse(where, column, out[column].isna(), "is not a date and time (YYYY-MM-DD HH:MM)", table[column])
    out["headcount"] = pd.to_numeric(table["headcount"], errors="coerce")
    whole = out["headcount"].notna() & (out["headcount"] % 1 == 0) & (out["headcount"] >= 0)
    _refuse(where, "headcount", ~whole, "is not a whole number >= 0", table["headcount"])
    _refuse(where, "team", out["team"].isna() | (out["team"] == ""), "is empty", table["team"])
    return [{"team": r.team, "start": r.start.to_pydatetime(), "end": r.end.to_pydatetime(),
             "headcount": int(r.headcount)} for r in out.itertuples()]


def _refuse(where: str, column: str, bad: pd.Series, what: str, raw: pd.Series) -> None:
    if bad.any():
        rows = [int(i) + 1 for i in bad.to_numpy().nonzero()[0][:5]]
        examples = ", ".join(f"row {r}: {str(raw.iloc[r - 1])!r}" for r in rows)
        raise ScenarioError(f"{where}: {column} {what} in {int(bad.sum())} row(s) ({examples})")
