"""Paper trading: fills computed on the real pools, nothing signed (execution_model.py)."""
