"""The webhook HTTP API and dashboard, served by uvicorn on its own thread beside the live trader."""
