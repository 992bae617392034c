"""The model-backed analyzers (the bug detector, the entropy LM) in a worker process, so their
Python loops do not share an interpreter lock with the rule pack's and verify's threads.

One child per process, started at the first use and kept: it loads the models once and serves
one request at a time, in order. Requests and outputs cross the pipe as the frozen dataclasses
themselves (pickled, length-prefixed frames over the child's stdin and stdout; the child is our
own code, never anything from a pull request). The base tree is not sent: the few base files a
model reads (those without a post-image) are read here and sent as a `MemoryTree`.

Failure is data, as for any analyzer: a child that cannot load a model answers "unavailable"
(the review lists the analyzer as skipped, with the reason); one that dies or overruns the
deadline is killed, the call fails, and the next call starts a fresh child.

`REDLINE_MODEL_WORKER=0` keeps the models in the calling process (the old behaviour)."""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from bot.core.errors import AnalyzerUnavailable, RedlineError
from bot.core.ports import AnalysisRequest, AnalyzerOutput
from bot.core.trees import MemoryTree

MODEL_ANALYZERS = ("detector", "entropy")
_HEADER = struct.Struct("!Q")
# One thread each for numpy's BLAS in the child: the other core is the parent's (semgrep,
# verify, static), and OpenBLAS's spinning threads collapse on a loaded machine.
_CHILD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "REDLINE_MODEL_WORKER": "0",  # the child runs the models itself
}


class WorkerFailed(RedlineError):
    """The model worker died, or did not answer in time."""


def enabled() -> bool:
    return os.environ.get("REDLINE_MODEL_WORKER", "1").strip().lower() not in ("0", "false", "no")


@dataclass(frozen=True)
class Description:
    """What the parent needs of an analyzer before and after it runs."""

    version: str
    thresholds: Mapping[str, float]
    unavailable: str | None = None  # why the model could not be loaded


def _write(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the model worker closed its output")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    return pickle.loads(_read_exactly(fd, size))


class ModelWorker:
    """The child process and the pipe to it; `call` is safe from several threads."""

    def __init__(self, names: tuple[str, ...] = MODEL_ANALYZERS) -> None:
        self.names = names
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._descriptions: dict[str, Description] | None = None
        self._ready = threading.Event()
        self._start_error: str | None = None

    def start(self) -> None:
        """Start the child now (it loads the models while the caller goes on)."""
        with self._lock:
            self._spawn()

    def _spawn(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._ready.clear()
        self._descriptions = None
        env = {**os.environ, **_CHILD_ENV}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot.analyzers.process", *self.names],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        threading.Thread(target=self._await_ready, args=(self._process,), daemon=True).start()

    def _await_ready(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        try:
            kind, payload = _read(process.stdout.fileno())
            if kind == "ready":
                self._descriptions = payload
            else:
                self._start_error = str(payload)
        except Exception as exc:  # whatever it was, the analyzers are unavailable, saying why
            self._start_error = f"the model worker did not start ({type(exc).__name__}: {exc})"
        finally:
            self._ready.set()

    def describe(self, name: str, timeout: float = 120.0) -> Description:
        with self._lock:
            self._spawn()
        self._ready.wait(timeout)
        found = (self._descriptions or {}).get(name)
        if found is None:
            reason = self._start_error or "the model worker is not ready"
            return Description("-", {}, unavailable=reason)
        return found

    def call(self, name: str, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        described = self.describe(name, timeout=max(0.0, deadline - time.monotonic()))
        if described.unavailable is not None:
            raise AnalyzerUnavailable(described.unavailable)
        with self._lock:
            self._spawn()
            process = self._process
            assert process is not None and process.stdin is not None and process.stdout is not None
            try:
                _write(process.stdin, (name, request, max(0.0, deadline - time.monotonic())))
                left = max(0.0, deadline - time.monotonic())
                readable, _, _ = select.select([process.stdout], [], [], left)
                if not readable:
                    raise WorkerFailed(f"{name}: no answer from the model worker within its budget")
                kind, payload = _read(process.stdout.fileno())
            except (OSError, EOFError, pickle.UnpicklingError, WorkerFailed) as exc:
                self._kill()
                if isinstance(exc, WorkerFailed):
                    raise
                raise WorkerFailed(f"{name}: the model worker failed ({exc})") from exc
        if kind == "ok":
            output: AnalyzerOutput = payload
            return output
        if kind == "unavailable":
            raise AnalyzerUnavailable(str(payload))
        raise WorkerFailed(f"{name} (in the model worker): {payload}")

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # the child exits at end of input
        try:
            process.wait(2.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_SHARED: ModelWorker | None = None
_SHARED_LOCK = threading.Lock()


def shared_worker() -> ModelWorker:
    """The process's one model worker, started at the first call."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ModelWorker()
            atexit.register(_SHARED.close)
            _SHARED.start()
        return _SHARED


def _portable(request: AnalysisRequest) -> AnalysisRequest:
    """The request without the base tree's adapter: only the base files the models read."""
    base: dict[str, bytes] = {}
    for file in request.diff.files:
        if request.text(file.path) is None and file.language == "python":
            data = request.base.read(file.old_path or file.path)
            if data is not None:
                base[file.old_path or file.path] = data
    texts = {f.path: t for f in request.diff.files if (t := request.text(f.path)) is not None}
    return AnalysisRequest(request.diff, texts, request.config, MemoryTree(base))


class ProcessAnalyzer:
    """Stands for a model analyzer that runs in the model worker."""

    def __init__(self, name: str, default_budget: float, worker: ModelWorker | None = None) -> None:
        self.name = name
        self.default_budget = default_budget
        self._worker = worker or shared_worker()

    @property
    def version(self) -> str:
        return self._worker.describe(self.name).version

    @property
    def thresholds(self) -> Mapping[str, float]:
        return self._worker.describe(self.name).thresholds

    def analyze(self, request: AnalysisRequest, deadline: float) -> AnalyzerOutput:
        return self._worker.call(self.name, _portable(request), deadline)


def _serve(names: list[str]) -> int:
    """The child: load the analyzers, then answer (name, request, seconds) frames in order."""
    from bot.analyzers import FACTORIES

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the pipe
    analyzers: dict[str, Any] = {}
    described: dict[str, Description] = {}
    for name in names:
        try:
            analyzer = FACTORIES[name]()
            if analyzer is None:
                raise AnalyzerUnavailable(f"{name} is not configured")
            analyzers[name] = analyzer
            described[name] = Description(analyzer.version, dict(analyzer.thresholds))
        except Exception as exc:  # a missing model is the analyzer's status, not a crash
            described[name] = Description("-", {}, unavailable=f"{type(exc).__name__}: {exc}")
    _write(stdout, ("ready", described))
    while True:
        try:
            name, request, seconds = _read(stdin.fileno())
        except EOFError:
            return 0
        try:
            output = analyzers[name].analyze(request, time.monotonic() + seconds)
            _write(stdout, ("ok", output))
        except AnalyzerUnavailable as exc:
            _write(stdout, ("unavailable", str(exc)))
        except Exception as exc:  # reported as the analyzer's error; the child goes on
            _write(stdout, ("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    # Through the module's own name, so that what it pickles names bot.analyzers.process.
    from bot.analyzers.process import _serve as serve

    sys.exit(serve(sys.argv[1:]))
