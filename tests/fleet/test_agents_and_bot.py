"""The agents file (passwords kept out of it and out of every message) and a Bot run
unchanged on a fleet worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from gws_async.bot import Bot, Context
from gws_async.events import WorkbinStateChangeMessage
from gws_async.fleet import AgentSpec, BalancerSettings, FleetError, FleetWorker, load_agents
from tests.conftest import wait_until

from .conftest import RecordedSimulator, RedisServer, make_agents


def test_passwords_come_from_secrets_then_environment(tmp_path: Path) -> None:
    agents = tmp_path / "agents"
    agents.write_text("# team\nalice\n\nbob.smith\ncarol\nbad:pw1\nbad two\nalice\ndave\n")
    secrets = tmp_path / "secrets"
    secrets.write_text("alice:a:b\nnot a pair\n")
    env = {"GWS_PASSWORD_BOB_SMITH": "b", "GWS_PASSWORD": "shared"}
    loaded = load_agents(agents, secrets_file=secrets, environ=env)
    assert loaded.agents == [
        AgentSpec("alice", "a:b"), AgentSpec("bob.smith", "b"), AgentSpec("carol", "shared"),
        AgentSpec("dave", "shared"),
    ]  # fmt: skip
    text = "\n".join(loaded.problems)
    assert "agents file line 6 (agent 'bad')" in text
    assert "agents file line 7 (agent 'bad')" in text
    assert "line 8: agent 'alice' is already on line 2" in text
    assert "secrets file line 2" in text
    assert "pw1" not in text
    assert "pw1" not in repr(loaded.agents)


def test_an_agent_without_password_is_left_out(tmp_path: Path) -> None:
    agents = tmp_path / "agents"
    agents.write_text("alice\nbob\n")
    loaded = load_agents(agents, environ={"GWS_PASSWORD_ALICE": "x"})
    assert [a.username for a in loaded.agents] == ["alice"]
    assert any("'bob' has no password" in p for p in loaded.problems)
    with pytest.raises(FleetError, match="no usable agent"):
        load_agents(agents, environ={})
    with pytest.raises(FleetError, match="cannot read the agents file"):
        load_agents(tmp_path / "missing", environ={})


async def test_a_bot_runs_in_the_owning_worker(redis_server: RedisServer) -> None:
    bot = Bot()
    seen: list[tuple[str, str]] = []

    @bot.on(WorkbinStateChangeMessage)
    async def record(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        seen.append((ctx.agent, ctx.gws.username))

    settings = BalancerSettings(ttl=3.0, margin=1.0, tick=0.3)
    specs = [AgentSpec(f"agent{i}", f"pw{i}") for i in range(3)]
    async with RecordedSimulator(make_agents(3)) as sim:
        async with FleetWorker(sim.url, specs, redis_server.url, bot=bot, settings=settings):
            await wait_until(lambda: len(bot.agents) == 3, timeout=20, step=0.1)
            for i in range(3):
                sim.push_seq(f"agent{i}", 0)
            await wait_until(lambda: len(seen) == 3, timeout=10, step=0.1)
        assert bot.agents == []  # each agent left the bot when the worker stopped
    assert sorted(seen) == [(f"agent{i}", f"agent{i}") for i in range(3)]
