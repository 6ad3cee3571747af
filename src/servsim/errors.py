"""Exception hierarchy: every error servsim raises on purpose derives from ServsimError."""

from __future__ import annotations


class ServsimError(Exception):
    """Base class of servsim's own errors."""


class ScenarioError(ServsimError, ValueError):
    """A scenario file or object is invalid; the message names file, field, value and fix."""


class ServsimWarning(UserWarning):
    """Base class of servsim's warnings."""


class ScenarioWarning(ServsimWarning):
    """A scenario that runs but probably does not say what was meant (e.g. a gap in a roster)."""
