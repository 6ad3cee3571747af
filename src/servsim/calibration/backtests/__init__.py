"""Backtests: a calibration checked against the weeks after its cut-off (backtest), and a call centre's
staffing replayed hour by hour against Erlang A (staffing_backtest)."""
