"""Building a scenario from a log: the process model (network), the delay-plus-capacity model (capacity,
balance, waits, probe), the sojourn-only skeleton and the front door (build), call centres (calls), and what a
calibration returns (fitted)."""
