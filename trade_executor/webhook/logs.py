"""The last log records in memory, for /logs: an operator reads what happened without shell access."""

from __future__ import annotations

import logging
import threading
from collections import deque

from trade_executor.secrets import mask

DEFAULT_CAPACITY = 1000


class LogBuffer(logging.Handler):
    """Keeps the newest ``capacity`` records as plain dicts, secrets masked when they are stored."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, level: int = logging.NOTSET):
        super().__init__(level)
        self._records: deque[dict] = deque(maxlen=capacity)
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                message = f"{message}\n{record.exc_text}"
            entry = {"time": record.created, "level": record.levelname, "logger": record.name, "message": mask(message)}
        except Exception:
            self.handleError(record)
            return
        with self._guard:
            self._records.append(entry)

    def records(self, limit: int | None = None) -> list[dict]:
        """Oldest first; the newest ``limit`` when given."""
        with self._guard:
            items = list(self._records)
        return items[-limit:] if limit else items


def install_log_buffer(capacity: int = DEFAULT_CAPACITY, logger: logging.Logger | None = None) -> LogBuffer:
    """Attach a buffer to the root logger (or ``logger``); call after logging is configured."""
    buffer = LogBuffer(capacity)
    (logger or logging.getLogger()).addHandler(buffer)
    return buffer
