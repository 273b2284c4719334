"""Keep native libraries' chatter (MediaPipe, LiteRT, glog) out of the server's log, without losing it.

MediaPipe's C++ code writes straight to file descriptor 2, past Python's logging and its levels: about nine
``INFO: [environment.cc:36] ...`` lines each time a hand tracker or pose model is built, two ``W0000 ...``
glog warnings on its first frame and two more when it closes. ``GLOG_minloglevel`` and
``TF_CPP_MIN_LOG_LEVEL`` do not silence them (measured: the same 13 lines either way).

So ``install()`` points fd 2 at a pipe. A daemon thread reads it line by line: a line that looks like that
native output goes to the ``vtryon.native`` logger (INFO/WARNING lines at DEBUG, so ``--log-level debug``
shows them; ERROR/FATAL lines at ERROR); every other line is copied unchanged to the real stderr. Python's
``sys.stderr`` and ``faulthandler`` write to the real stderr directly, so Python's own logging and crash
tracebacks never depend on the thread.

What is lost: at default levels, the native INFO/WARNING lines (they are DEBUG records now). If the process
dies abruptly (abort, SIGKILL), native lines written in its last milliseconds may still be in the pipe and
never reach the terminal.
"""

from __future__ import annotations

import faulthandler
import io
import logging
import os
import re
import sys
import threading

__all__ = ("NATIVE_LINE", "install", "is_native_noise")

log = logging.getLogger("vtryon.native")

#: LiteRT (``INFO: [environment.cc:36] ...``, ``INFO: Created TensorFlow Lite XNNPACK delegate``), glog
#: (``W0000 00:00:1796073200.925398   11968 file.cc:81] ...``) and glog's "before InitGoogle" preamble.
NATIVE_LINE = re.compile(
    r"^(?:(?P<lite>INFO|WARNING|ERROR): (?:\[[\w.]+:\d+\]|Created TensorFlow Lite)"
    r"|(?P<glog>[IWEF])\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w.]+:\d+\]"
    r"|WARNING: Logging before InitGoogle)"
)

_installed = False


def is_native_noise(line: str) -> bool:
    return NATIVE_LINE.match(line) is not None


def _level(line: str) -> int:
    match = NATIVE_LINE.match(line)
    kind = match and (match.group("lite") or match.group("glog"))
    return logging.ERROR if kind in ("ERROR", "E", "F") else logging.DEBUG


def install() -> None:
    """Filter fd 2 as the module docstring says. Idempotent; a no-op where fd 2 cannot be replaced."""
    global _installed
    if _installed:
        return
    try:
        real = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
    except OSError:
        return
    _installed = True
    real_stderr = io.TextIOWrapper(io.FileIO(real, "w", closefd=False), line_buffering=True, errors="replace")
    old_stderr, sys.stderr = sys.stderr, real_stderr
    for handler in logging.getLogger().handlers:  # e.g. the CLI's basicConfig handler
        if isinstance(handler, logging.StreamHandler) and handler.stream is old_stderr:
            handler.setStream(real_stderr)
    faulthandler.enable(file=real_stderr)
    threading.Thread(target=_pump, args=(read_end, real), name="native-stderr", daemon=True).start()


def _pump(read_end: int, real: int) -> None:
    with open(read_end, "rb", closefd=True) as pipe:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if is_native_noise(line):
                log.log(_level(line), "%s", line)
            else:
                os.write(real, raw)
