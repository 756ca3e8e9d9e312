"""Every example runs end to end against the embedded simulator."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def run_example(name: str, timeout: float = 30.0) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GWS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_workbin_watcher() -> None:
    code, out, err = await run_example("workbin_watcher.py")
    assert code == 0, err
    assert "Traceback" not in err
    assert out.count("pulled ") == 3
    for media in ("email", "chat", "workitem"):
        assert f"new {media}" in out
    assert "processed 3 item(s)" in out
