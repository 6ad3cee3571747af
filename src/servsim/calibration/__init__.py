"""Calibration: importers of real ticket exports onto the canonical log, distribution fitting,
and building a baseline scenario from history."""
