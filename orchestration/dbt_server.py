"""A process that has imported dbt once and forks a dbt invocation per request.

Importing dbt-core and its DuckDB adapter costs about 3-5 CPU-s (mashumaro builds its
serialisers, agate, jinja) before dbt reads a single file, and a run starts dbt twice (the
main build, then the models on the Python steps' scores), the test suite about a hundred
times. `python -m orchestration.dbt_main` stays the executable dagster-dbt starts: when
LEDGERLENS_DBT_SERVER names a server's socket, it hands its arguments, working folder,
environment and its stdin/stdout/stderr to the server, which forks a child that runs
dbt's CLI on them, as the subprocess would have, and reports its exit code. dagster-dbt
reads the same JSON events from the same pipe. Without a server (or when it does not
answer) dbt_main runs dbt in its own process, as before.

The child dies with its caller: it watches the caller's connection and exits when the
caller is gone (killed, or interrupted), so a killed run leaves no dbt behind
(tests/test_safe_runs.py kills a run's process group mid-build). The server dies with
the process that started it (`start`, Linux's parent-death signal).

Imports no Dagster and, until `serve`, no dbt: dbt_main imports `call` as the client.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

SERVER_ENV = "LEDGERLENS_DBT_SERVER"
_HEADER = struct.Struct("!Q")
_CODE = struct.Struct("!i")


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        data += chunk
    return data


def call(path: str, arguments: list[str]) -> int | None:
    """Run dbt with `arguments` in a child of the server at `path`, on this process's
    stdin, stdout and stderr; its exit code, or None when no server answers there (the
    caller then runs dbt itself)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    with conn:
        # The name dbt's usage lines give the command: the caller's, not the server's.
        from click.utils import _detect_program_name

        request = json.dumps(
            {
                "argv": arguments,
                "prog": _detect_program_name(),
                "cwd": os.getcwd(),
                "env": dict(os.environ),
            }
        ).encode()
        try:
            socket.send_fds(conn, [_HEADER.pack(len(request))], [0, 1, 2])
            conn.sendall(request)
            # The child's first word is its pid: until then no dbt started.
            child = _CODE.unpack(_recv_exactly(conn, _CODE.size))[0]
        except OSError:  # ConnectionError included
            return None

        def forward(signum: int, _frame) -> None:
            # dagster-dbt cancels with SIGINT to this process: dbt's own interrupt
            # handling (cancel its queries, write its results) runs in the child.
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, forward)
        try:
            return _CODE.unpack(_recv_exactly(conn, _CODE.size))[0]
        except ConnectionError:
            print("ledgerlens: the dbt process ended without an exit code", file=sys.stderr)
            return 1


def _run_child(conn: socket.socket, fds: list[int], request: dict) -> None:
    """In the forked child: become the dbt process the caller would have started."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        conn.sendall(_CODE.pack(os.getpid()))
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()  # TZ as the caller has it
        sys.argv = [sys.argv[0], *request["argv"]]

        def die_with_caller() -> None:
            # The caller never sends after its request: EOF means it is gone (killed:
            # an interrupt it forwards, and waits for the exit code).
            with contextlib.suppress(OSError):
                conn.recv(1)
            os._exit(1)

        threading.Thread(target=die_with_caller, daemon=True).start()
        from orchestration.dbt_main import run_dbt

        try:
            run_dbt(prog_name=request["prog"])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the caller's stderr, then exit 1
        import traceback

        traceback.print_exc()
    finally:
        # The exit handlers a dbt process runs as it ends: dbt-duckdb closes its kept-open
        # connection there (checkpointing the file, releasing its lock) before the caller
        # hears the exit code and the next step opens the file.
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(OSError):
            conn.sendall(_CODE.pack(code))
        os._exit(code)


def _reap(block: bool) -> None:
    with contextlib.suppress(ChildProcessError):
        while True:
            pid, _status = os.waitpid(-1, 0 if block else os.WNOHANG)
            if pid == 0:
                return


def _exit_after_children(_signum, _frame) -> None:
    _reap(block=True)
    os._exit(0)


def _build_schemas() -> None:
    """Build, once here, the JSON schemas every dbt invocation validates its project,
    flags, profile and selectors against: dbt builds each on first use and keeps it for
    the process (an lru_cache), so every child built them all again, with the serialisers
    mashumaro compiles for them. An empty `dbt build` in a child took 1.25 s of CPU with
    them built here against 2.0-2.2 s without, at 0.5 s once in the server (2026-12-04);
    a run makes two dbt invocations, the test suite over a hundred. A class dbt no longer
    has is left to the children."""
    from importlib import import_module

    for module, name in [
        ("dbt.contracts.project", "ProjectFlags"),
        ("dbt.contracts.project", "ProfileConfig"),
        ("dbt.contracts.project", "Project"),
        ("dbt.contracts.project", "PackageConfig"),
        ("dbt.contracts.project", "Configuration"),
        ("dbt.contracts.selection", "SelectorFile"),
        ("dbt.task.test", "TestResultData"),
        ("dbt.adapters.duckdb.credentials", "DuckDBCredentials"),
    ]:
        with contextlib.suppress(Exception):
            getattr(import_module(module), name).json_schema()


def serve(path: str) -> None:
    """Listen at `path`, import dbt, then fork a child per request, one request at a time
    (so a child holds no other request's descriptors)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    # Requests wait in the backlog while dbt imports: the first one loses nothing.
    import dbt.adapters.duckdb  # noqa: F401
    import dbt.adapters.duckdb.impl  # noqa: F401
    import dbt.cli.main  # noqa: F401

    from orchestration.dbt_main import patch_dbt

    patch_dbt()  # once, for every child
    _build_schemas()

    # Children are reaped here (not by the kernel, SIG_IGN) so that their CPU time counts
    # in this process's children, and in the caller's once it reaps the server.
    signal.signal(signal.SIGTERM, _exit_after_children)
    # A terminal's Ctrl-C reaches the whole process group: the children (which take it
    # as dbt does) and the callers, not the server.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        _reap(block=False)
        conn, _ = listener.accept()
        fds: list[int] = []
        try:
            message, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, 3)
            size = _HEADER.unpack(message)[0]
            request = json.loads(_recv_exactly(conn, size))
            if os.fork() == 0:
                listener.close()
                _run_child(conn, fds, request)
        except (OSError, ValueError, struct.error):
            pass  # the caller hears nothing and runs dbt itself
        finally:
            # Never kept: a caller's pipe held open here would never reach its end.
            for fd in fds:
                os.close(fd)
            conn.close()


def _die_with_parent(parent: int) -> None:
    """Linux's parent-death signal, set here rather than between fork and exec (unsafe
    in a process with threads, as a Dagster run's is)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before the signal was set
        sys.exit(0)


def start() -> tuple[subprocess.Popen, str]:
    """A server of this Python in a process of its own, and its socket's path; it dies
    with this process. Returns at once: dbt imports in the background."""
    folder = tempfile.mkdtemp(prefix="ledgerlens-dbt-")
    path = str(Path(folder) / "socket")
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.dbt_server", path, str(os.getpid())],
        cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return process, path


def stop(process: subprocess.Popen, path: str) -> None:
    """Stop the server once its children have ended (they have: each caller waited for
    its own), so their CPU time counts in this process's children."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(OSError):
        os.unlink(path)
        os.rmdir(os.path.dirname(path))


@contextlib.contextmanager
def serving() -> Iterator[None]:
    """dbt started inside this block forks from a server: the one LEDGERLENS_DBT_SERVER
    already names (a test session's), else one started for the block."""
    existing = os.environ.get(SERVER_ENV)
    if existing and os.path.exists(existing):
        yield
        return
    process, path = start()
    os.environ[SERVER_ENV] = path
    try:
        yield
    finally:
        if existing is None:
            os.environ.pop(SERVER_ENV, None)
        else:
            os.environ[SERVER_ENV] = existing
        stop(process, path)


if __name__ == "__main__":
    if sys.platform == "linux":
        _die_with_parent(int(sys.argv[2]))
    serve(sys.argv[1])
