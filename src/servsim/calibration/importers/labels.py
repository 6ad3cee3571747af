"""Labels and shares as a scenario file writes them."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from pydantic import AfterValidator, Field

from ...scenario.model import check_attribute_name


def _attribute_columns(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        check_attribute_name(name)
    return value


# a mapping's further ticket attributes: name -> column of the export, e.g. {product: product}
AttributeColumns = Annotated[dict[str, str], AfterValidator(_attribute_columns),
                             Field(description="further ticket attributes: name -> column, e.g. {product: product}")]


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
