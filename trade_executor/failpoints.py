"""Named points where a test can kill the process, to prove a crash anywhere loses nothing.

``TRADE_EXECUTOR_CRASH_AT=after_sign`` makes the process SIGKILL itself when it reaches
``crash_point("after_sign")``: a real, unclean death, as from the OOM killer or a power cut.
Unset (always, outside tests), a crash point costs one comparison.
"""

from __future__ import annotations

import os
import signal

CRASH_POINTS = ("after_sign", "after_broadcast", "before_confirmation_recorded", "after_confirmation")
_ARMED = os.environ.get("TRADE_EXECUTOR_CRASH_AT")


def crash_point(name: str) -> None:
    if _ARMED == name:
        os.kill(os.getpid(), signal.SIGKILL)
