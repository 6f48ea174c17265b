from trade_executor.cli.main import app

app()
