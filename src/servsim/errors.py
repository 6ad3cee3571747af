"""Exception hierarchy: every error servsim raises on purpose derives from ServsimError."""

from __future__ import annotations


class ServsimError(Exception):
    """Base class of servsim's own errors."""


class ScenarioError(ServsimError, ValueError):
    """A scenario file or object is invalid; the message names file, field, value and fix."""
