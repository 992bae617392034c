"""`redline serve`'s review workers in a process of their own: webhook intake never shares an
interpreter lock with review work (a review holds the GIL for seconds; an acknowledgement must
take milliseconds). The child dies with its parent, says when its models are loaded through a
ready file, and is started again, with a pause, if it dies."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger("redline.supervise")
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # Not Linux: no prctl, and the parent's stop() still terminates the child.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class WorkerProcess:
    """One `redline worker --threads N` child, kept running until `stop()`."""

    def __init__(self, threads: int, ready_file: Path, env: dict[str, str] | None = None) -> None:
        self.threads = threads
        self.ready_file = ready_file
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, daemon=True, name="redline-worker")

    def start(self) -> None:
        self._thread.start()

    def ready(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and self.ready_file.exists()

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.ready_file.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "bot",
            "worker",
            "--threads",
            str(self.threads),
            "--ready-file",
            str(self.ready_file),
        ]
        return subprocess.Popen(command, env=self.env, preexec_fn=_die_with_parent)

    def _keep(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            self.proc = self._spawn()
            log.info("review worker process started", extra={"pid": self.proc.pid})
            code = self.proc.wait()
            if self._stop.is_set():
                return
            log.error(
                "review worker process exited; restarting", extra={"code": code, "in_s": pause}
            )
            if self._stop.wait(pause):
                return
            pause = min(pause * 2, 30.0)

    def stop(self) -> None:
        self._stop.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.ready_file.unlink(missing_ok=True)


def ready_file_for(data_dir: Path) -> Path:
    return data_dir / f"worker-ready.{os.getpid()}"
