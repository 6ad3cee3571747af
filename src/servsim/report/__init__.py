"""Figures of experiments and sweeps (matplotlib)."""
