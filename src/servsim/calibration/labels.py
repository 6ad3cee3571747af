"""Labels and shares as a scenario file writes them."""

from __future__ import annotations

import pandas as pd


def slug(label: str) -> str:
    """A label as a scenario name: lower case, non-alphanumerics as ``_``."""
    out = "".join(c.lower() if c.isalnum() else "_" for c in str(label)).strip("_")
    return out or "unknown"


def shares(values: pd.Series) -> dict[str, float]:
    """Shares of labels (a Series of labels), or a Series of weights by label, rounded to sum to exactly 1."""
    counts = values if pd.api.types.is_numeric_dtype(values) else values.value_counts()
    rounded = (counts / counts.sum()).sort_values(ascending=False).round(6)
    rounded.iloc[0] = round(rounded.iloc[0] + 1.0 - rounded.sum(), 6)  # the rounded row still sums to 1 (within 1e-6)
    return {str(k): float(v) for k, v in rounded.items()}
