"""Parameter search: grid search, Optuna, walk-forward, on local processes or a Dask cluster."""
