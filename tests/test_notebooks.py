"""Every notebook in notebooks/ runs top to bottom without error (a failing cell fails the suite)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.long
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
              if o.output_type == "error"]
    assert not errors
    # a figure shown in a cell renders as an image (not the text of a bare Figure object)
    plots = [cell for cell in nb.cells if cell.cell_type == "code" and ".plot_" in cell.source]
    for cell in plots:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    assert not any("Warning" in o.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for o in cell.get("outputs", []) if o.output_type == "stream")
