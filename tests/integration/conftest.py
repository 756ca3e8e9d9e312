"""Fixtures that run the CometD project's Node.js Bayeux server on loopback.

The server itself is ``tests/cometd_server/server.js`` (``cometd-nodejs-server`` from
the npm registry plus a small ``/control/`` API). Without ``node`` the tests skip; with
``node`` but no installable server they error, because then the check did not run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

SERVER_DIR = Path(__file__).resolve().parent.parent / "cometd_server"
PACKAGE = "cometd-nodejs-server"
NPM_TIMEOUT = 300.0
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


def _pinned_version() -> str:
    manifest = json.loads((SERVER_DIR / "package.json").read_text(encoding="utf-8"))
    return str(manifest["dependencies"][PACKAGE])


def _installed_version() -> str | None:
    manifest = SERVER_DIR / "node_modules" / PACKAGE / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    # pytest-xdist workers would otherwise run `npm ci` into one node_modules at once.
    if sys.platform == "win32":
        yield
        return
    import fcntl

    digest = hashlib.sha256(str(SERVER_DIR).encode()).hexdigest()[:16]
    name = f"gws-async-cometd-npm-{digest}.lock"
    with open(Path(tempfile.gettempdir()) / name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            f"node is installed but npm is not: cannot install {PACKAGE} "
            f"(run `npm ci` in {SERVER_DIR})",
            pytrace=False,
        )
    command = [npm, "ci", "--no-audit", "--no-fund"]
    try:
        done = subprocess.run(
            command,
            cwd=SERVER_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            # CI=true keeps npm from prompting or drawing progress bars.
            env={**os.environ, "CI": "true"},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        # On timeout the captured output is bytes, even with text=True.
        output = b"".join(
            part.encode() if isinstance(part, str) else part
            for part in (exc.stdout, exc.stderr)
            if part
        )
        pytest.fail(
            f"`{' '.join(command)}` in {SERVER_DIR} took over {NPM_TIMEOUT:.0f} s:\n"
            f"{output.decode(errors='replace')}",
            pytrace=False,
        )
    if done.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` in {SERVER_DIR} failed with exit code {done.returncode}:\n"
            f"{done.stdout}{done.stderr}",
            pytrace=False,
        )
    if _installed_version() != _pinned_version():
        pytest.fail(
            f"`npm ci` succeeded but {PACKAGE} {_pinned_version()} is not in "
            f"{SERVER_DIR / 'node_modules'}:\n{done.stdout}{done.stderr}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def cometd_node_server_dir() -> Path:
    """The folder of server.js, with its npm dependencies installed."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: cannot run the CometD project's server")
    if _installed_version() != _pinned_version():
        with _install_lock():
            if _installed_version() != _pinned_version():
                _npm_ci()
    return SERVER_DIR


class CometDNodeServer:
    """A running server.js: where it listens, and its control API."""

    def __init__(self, port: int, hosts: tuple[str, ...], http: aiohttp.ClientSession) -> None:
        self.port = port
        #: The addresses it listens on: 127.0.0.1, and ::1 where the machine has it.
        self.hosts = hosts
        self._http = http

    def url(self, host: str = "127.0.0.1") -> str:
        """The Bayeux endpoint as reached through ``host``."""
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}/cometd"

    async def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"http://127.0.0.1:{self.port}/control/{path}"
        async with self._http.request(method, url, json=body) as response:
            payload = await response.json()
            if response.status != 200:
                raise AssertionError(f"{method} /control/{path}: {response.status} {payload}")
            return payload

    async def publish(
        self, channel: str, count: int, start: int = 0, *, chunk: int | None = None
    ) -> int:
        """Publishes ``{"seq": start + i}`` for i in range(count) server-side, in order.

        ``chunk`` messages go out per event-loop turn of the server (default: all at
        once), which spreads them over more HTTP responses.
        """
        body: dict[str, Any] = {"channel": channel, "count": count, "start": start}
        if chunk is not None:
            body["chunk"] = chunk
        payload = await self._control("POST", "publish", body)
        return int(payload["published"])

    async def drop_sessions(self, mode: str = "expire") -> int:
        """Makes the server forget every session; returns how many it dropped.

        ``expire`` (default) loses them as an expiry would, so the next ``/meta/connect``
        gets ``402::session_unknown``; ``disconnect`` uses the public server-side
        disconnect, which also sends the client a ``/meta/disconnect`` message.
        """
        payload = await self._control("POST", "drop-sessions", {"mode": mode})
        return int(payload["dropped"])

    async def sessions(self) -> dict[str, Any]:
        """``{"sessions": n, "subscriptions": {channel: n}, "held": n}``."""
        payload: dict[str, Any] = await self._control("GET", "sessions")
        return payload


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    # Every pipe must reach EOF or be closed, or asyncio's transport outlives the test and
    # is reported as unclosed when collected.
    if process.stdin is not None:
        process.stdin.close()
        with contextlib.suppress(ConnectionError):
            await process.stdin.wait_closed()
    if process.stdout is not None:
        await process.stdout.read()


@pytest.fixture
async def cometd_server(
    request: pytest.FixtureRequest, cometd_node_server_dir: Path
) -> AsyncIterator[CometDNodeServer]:
    """A fresh server.js for one test.

    Options may be given by indirect parametrization, e.g.
    ``@pytest.mark.parametrize("cometd_server", [{"timeout": 10000}], indirect=True)``;
    ``timeout`` is how long the server holds a ``/meta/connect`` (default 2000 ms) and
    ``max_interval`` how long it keeps a session without one (default 10000 ms).
    """
    options: dict[str, int] = getattr(request, "param", None) or {}
    node = shutil.which("node")
    assert node is not None  # cometd_node_server_dir skipped otherwise
    arguments = ["server.js"]
    if "timeout" in options:
        arguments += ["--timeout", str(options["timeout"])]
    if "max_interval" in options:
        arguments += ["--max-interval", str(options["max_interval"])]

    # stderr goes to a file rather than a pipe: nothing has to drain it, and its
    # content is at hand when the server fails to start.
    with tempfile.TemporaryFile(mode="w+b") as stderr:
        process = await asyncio.create_subprocess_exec(
            node,
            *arguments,
            cwd=cometd_node_server_dir,
            # The server exits when its stdin closes, so it cannot outlive this process.
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
        try:
            assert process.stdout is not None
            try:
                line = await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT)
            except asyncio.TimeoutError:
                line = b""
            text = line.decode(errors="replace").strip()
            if not text.startswith("LISTENING ") or not text[len("LISTENING ") :].isdigit():
                await _stop(process)
                stderr.seek(0)
                pytest.fail(
                    f"server.js did not print 'LISTENING <port>' (waited up to "
                    f"{STARTUP_TIMEOUT:.0f} s; exit code {process.returncode}); "
                    f"stdout: {text!r}; stderr:\n"
                    f"{stderr.read().decode(errors='replace')}",
                    pytrace=False,
                )
            port = int(text.split()[1])
            timeout = aiohttp.ClientTimeout(total=10)
            async with aiohttp.ClientSession(timeout=timeout) as http:
                server = CometDNodeServer(port, (), http)
                info = await server._control("GET", "info")
                server.hosts = tuple(info["hosts"])
                yield server
        finally:
            await _stop(process)
