"""Child processes that must not outlive the run that started them."""

from __future__ import annotations

import os
import signal

__all__ = ["die_with_parent"]


def die_with_parent(sig: int = signal.SIGKILL, parent: int | None = None) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (PR_SET_PDEATHSIG).

    Call it first thing in the child. Elsewhere the call is a no-op; with ``parent``
    given, a child whose parent is already gone exits at once.
    """
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, sig)
    except (OSError, AttributeError):
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(1)
