"""``gws-async simulator`` run for real: where its agents' passwords come from, and its
refusal to serve the well-known default passwords beyond loopback."""

from __future__ import annotations

import signal
from pathlib import Path

import aiohttp
import pytest

from gws_async.cli import EXIT_OK, EXIT_TERMINATED, EXIT_USAGE

from .test_cli import (
    EXIT_TIMEOUT,
    RUN_TIMEOUT,
    _basic,
    _cli,
    _env,
    _finish,
    _free_port,
    _read_until,
    _run,
    posix_signals,
)

READY = "GWS simulator listening on"


async def _status(port: int, username: str, password: str) -> int:
    url = f"http://127.0.0.1:{port}/api/v2/me"
    async with (
        aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=10)
        ) as http,
        http.get(url, headers=_basic(username, password)) as response,
    ):
        return response.status


async def _serve_then_stop(*args: str, env: dict[str, str]) -> tuple[str, list[int]]:
    """Start the simulator, try logins, stop it with SIGTERM; its stderr and the statuses."""
    port = _free_port()
    async with _cli("simulator", "--port", str(port), *args, env=env) as proc:
        logged = await _read_until(proc.stderr, READY, "simulator start")
        statuses = [
            await _status(port, "carol", "c0rrect horse:battery"),
            await _status(port, "dave", "s3cret"),
            await _status(port, "agent1", "password1"),
        ]
        proc.send_signal(signal.SIGTERM)
        _, rest = await _finish(proc, EXIT_TIMEOUT, "the simulator to exit on SIGTERM")
    assert proc.returncode == EXIT_TERMINATED
    return logged + rest, statuses


@pytest.fixture
def agents_file(tmp_path: Path) -> Path:
    path = tmp_path / "agents.txt"
    path.write_text("# who may log in\ncarol:c0rrect horse:battery\n\ndave:s3cret\n")
    return path


@posix_signals
async def test_agents_come_from_a_file(agents_file: Path) -> None:
    output, statuses = await _serve_then_stop("--agents-file", str(agents_file), env=_env())
    assert statuses == [200, 200, 401]
    assert "s3cret" not in output
    assert "Traceback" not in output


@posix_signals
async def test_agents_come_from_the_environment() -> None:
    env = _env(GWS_SIMULATOR_AGENTS="carol:c0rrect\ndave:s3cret")
    output, statuses = await _serve_then_stop(env=env)
    assert statuses[1:] == [200, 401]
    assert "s3cret" not in output


@posix_signals
async def test_a_file_serves_beyond_loopback(agents_file: Path) -> None:
    output, statuses = await _serve_then_stop(
        "--host", "0.0.0.0", "--agents-file", str(agents_file), env=_env()
    )
    assert statuses == [200, 200, 401]
    assert "well-known" not in output


async def test_passwords_on_the_command_line_are_refused() -> None:
    code, out, err = await _run(
        "simulator", "--agent", "agent9:hunter2", env=_env(), timeout=RUN_TIMEOUT
    )
    assert code == EXIT_USAGE
    assert "hunter2" not in out + err
    assert "--agents-file" in err
    assert "GWS_SIMULATOR_AGENTS" in err


async def test_default_passwords_beyond_loopback_are_refused() -> None:
    port = str(_free_port())
    code, out, err = await _run(
        "simulator", "--host", "0.0.0.0", "--port", port, env=_env(), timeout=RUN_TIMEOUT
    )
    assert code == EXIT_USAGE
    assert "--allow-default-passwords" in err
    assert "password1" not in out + err
    assert READY not in err


async def test_a_well_known_password_in_a_file_is_refused_beyond_loopback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "agents.txt"
    path.write_text("carol:password2\n")
    code, _, err = await _run(
        "simulator", "--host", "::", "--agents-file", str(path), env=_env(), timeout=RUN_TIMEOUT
    )
    assert code == EXIT_USAGE
    assert "--allow-default-passwords" in err


@posix_signals
async def test_default_passwords_beyond_loopback_when_allowed_warn_loudly() -> None:
    port = _free_port()
    args = ("simulator", "--host", "0.0.0.0", "--port", str(port), "--allow-default-passwords")
    async with _cli(*args, env=_env()) as proc:
        logged = await _read_until(proc.stderr, READY, "simulator start")
        assert await _status(port, "agent1", "password1") == 200
        proc.send_signal(signal.SIGTERM)
        _, rest = await _finish(proc, EXIT_TIMEOUT, "the simulator to exit on SIGTERM")
    assert "WARNING" in logged
    assert "well-known" in logged
    assert "password1" not in logged + rest


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("carol:pw-7Q\nno-colon-pw-7Q\n", "line 2"),
        ("carol:pw-7Q\n:nobody-pw-7Q\n", "line 2"),
        ("carol:\n", "line 1"),
        ("carol:one-pw-7Q\ncarol:two-pw-7Q\n", "line 2"),
    ],
)
async def test_a_bad_agents_file_is_a_usage_error_that_shows_no_password(
    tmp_path: Path, content: str, where: str
) -> None:
    path = tmp_path / "agents.txt"
    path.write_text(content)
    code, out, err = await _run(
        "simulator", "--agents-file", str(path), env=_env(), timeout=RUN_TIMEOUT
    )
    assert code == EXIT_USAGE
    assert where in err
    assert str(path) in err
    assert "7Q" not in out + err
    assert "Traceback" not in err


async def test_a_missing_agents_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    code, _, err = await _run(
        "simulator", "--agents-file", str(missing), env=_env(), timeout=RUN_TIMEOUT
    )
    assert code == EXIT_USAGE
    assert f"cannot read the agents file {missing}" in err
    assert "Traceback" not in err


async def test_help_tells_where_passwords_come_from() -> None:
    code, out, _ = await _run("simulator", "--help", env=_env(), timeout=RUN_TIMEOUT)
    assert code == EXIT_OK
    for text in ("--agents-file", "GWS_SIMULATOR_AGENTS", "--allow-default-passwords", "loopback"):
        assert text in out
