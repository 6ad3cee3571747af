"""One entry point for every supported export format."""

from __future__ import annotations

from pathlib import Path

from ...errors import ServsimError
from .quality import ImportResult

FORMATS = ("servicenow", "callcentre", "tickets", "events")


def import_log(path: str | Path, format: str, mapping: str | Path | None = None) -> ImportResult:
    """Import ``path`` as ``format`` (``servicenow``, ``callcentre``, ``tickets`` or ``events``; the latter two need
    a mapping)."""
    if format == "servicenow":
        from .servicenow import import_servicenow

        return import_servicenow(path)
    if format == "callcentre":
        from .callcentre import import_callcentre

        return import_callcentre(path)
    if format not in FORMATS:
        raise ServsimError(f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}")
    if mapping is None:
        raise ServsimError(f"--format {format} needs --mapping (see calibration/presets/ for examples)")
    if format == "tickets":
        from .tickets import import_tickets, load_ticket_mapping

        return import_tickets(path, load_ticket_mapping(mapping), mapping_source=str(mapping))
    from .events import import_events, load_event_mapping

    return import_events(path, load_event_mapping(mapping))
