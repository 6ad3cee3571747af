"""The public API is short, documented in the README, and the README's Python example runs."""

from __future__ import annotations

import re

import servsim
from helpers import ROOT


def test_all_matches_the_readme_api_list():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^- `servsim\.(\w+)", section, flags=re.M))
    assert documented == set(servsim.__all__)


def test_readme_python_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    namespace: dict = {}
    exec(compile(code.replace("scenarios/", str(ROOT / "scenarios") + "/"), "README.md", "exec"), namespace)
    assert namespace["report"].overall["tickets"] > 0
