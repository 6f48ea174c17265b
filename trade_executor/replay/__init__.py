"""Replay history onto a real chain and trade it live, to prove a backtest and live trading agree."""
