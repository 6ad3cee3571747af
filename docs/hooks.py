"""MkDocs hook: the scenario file's field reference, generated from its schema when the site is built.

``docs/scenario.md`` holds the marker ``<!-- scenario-fields -->``; it is replaced by one table per block of the
scenario (the pydantic models behind ``servsim schema``), in the order the file reaches them: each field with its
type, default and description.
"""

from __future__ import annotations

import json

MARKER = "<!-- scenario-fields -->"


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001, ARG001 - MkDocs' hook signature
    if MARKER not in markdown:
        return markdown
    from servsim.scenario import Scenario

    return markdown.replace(MARKER, scenario_fields(Scenario.model_json_schema()))


def scenario_fields(schema: dict) -> str:
    """Markdown tables of every block of ``schema`` (a JSON schema with ``$defs``), the top level first."""
    defs = schema.get("$defs", {})
    order, todo = [], ["Scenario"]
    blocks = {"Scenario": schema, **defs}
    while todo:
        name = todo.pop(0)
        if name in order or name not in blocks:
            continue
        order.append(name)
        todo += [ref for prop in blocks[name].get("properties", {}).values() for ref in _refs(prop)]
    out = []
    for name in order:
        block = blocks[name]
        if not block.get("properties"):
            continue
        out += [f"### `{name}`", ""]
        if block.get("description") and name != "Scenario":
            out += [_cell(block["description"]), ""]
        out += ["| field | type | default | description |", "|---|---|---|---|"]
        required = set(block.get("required", []))
        for field, prop in block["properties"].items():
            default = "required" if field in required else f"`{json.dumps(prop['default'])}`" if "default" in prop \
                else ""
            out.append(f"| `{field}` | {_cell(_type(prop))} | {default} | {_cell(prop.get('description', ''))} |")
        out.append("")
    return "\n".join(out)


def _refs(prop: dict) -> list[str]:
    """The block names a property refers to, at any depth."""
    found = []
    if "$ref" in prop:
        found.append(prop["$ref"].rsplit("/", 1)[-1])
    for key in ("anyOf", "oneOf", "allOf"):
        for option in prop.get(key, []):
            found += _refs(option)
    for key in ("items", "additionalProperties"):
        if isinstance(prop.get(key), dict):
            found += _refs(prop[key])
    return found


def _type(prop: dict) -> str:
    """A property's type in words: ``Team``, ``list of Shift``, ``map of str to number``, ``"fifo" or "priority"``."""
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "enum" in prop:
        return " or ".join(f'"{v}"' for v in prop["enum"])
    if "const" in prop:
        return f'"{prop["const"]}"'
    for key in ("anyOf", "oneOf"):
        if key in prop:
            options = [_type(p) for p in prop[key] if p.get("type") != "null"]
            return " or ".join(dict.fromkeys(options)) or "null"
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map of str to {_type(prop['additionalProperties'])}"
    return {"string": "str", "integer": "int", "boolean": "bool"}.get(kind, kind)


def _cell(text: str) -> str:
    """Text fit for one table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")
