"""Scenario files: a TOML description of a contact center (agents, groups, skills,
workbins with queued items, traffic) that the simulator serves; a malformed one is
refused with the line and the key at fault, never with a password."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from gws_async import GwsClient, GwsError
from gws_async.simulator import ScenarioError, load_scenario, parse_scenario
from gws_async.simulator._scenario import EXAMPLE_PASSWORDS
from gws_async.simulator._traffic import GroupTraffic

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scenario.toml"
SECRET = "s3cret-Horse-battery"


def scenario(text: str) -> str:
    return textwrap.dedent(text).lstrip()


MINIMAL = scenario(
    f"""
    [[agents]]
    username = "alice"
    password = "{SECRET}"
    """
)


def test_the_example_loads() -> None:
    loaded = load_scenario(EXAMPLE)
    assert [a.username for a in loaded.agents] == ["ana", "ben", "chloe", "dmitri"]
    assert {a.password for a in loaded.agents} == EXAMPLE_PASSWORDS
    assert loaded.well_known_password_users() == ["ana", "ben", "chloe", "dmitri"]
    assert loaded.agents[3].roles == ["ROLE_AGENT", "ROLE_ADMIN"]
    assert loaded.traffic is not None
    assert loaded.traffic.seed == 2024
    assert loaded.traffic.groups[0] == GroupTraffic("sales", 2, 4, 1)
    # Group workbins get ids shaped like GWS's, the same on every load.
    assert loaded.workbins is not None
    ids = [w.id for w in loaded.workbins if w.is_group]
    assert all(re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", i) for i in ids)
    assert ids == [w.id for w in load_scenario(EXAMPLE).workbins or () if w.is_group]


async def test_a_client_sees_the_example_s_workbins_items_and_skills() -> None:
    loaded = load_scenario(EXAMPLE)
    assert loaded.workbins is not None
    ids = {w.name: w.id for w in loaded.workbins}
    async with (
        loaded.simulator(long_poll_timeout=1.0) as sim,
        GwsClient(sim.url, "ana", "ana-example-pw") as ana,
        GwsClient(sim.url, "chloe", "chloe-example-pw") as chloe,
    ):
        # GetWorkbinTypesInfo lists the personal workbin types.
        assert {w.workbin_name for w in await ana.workbins.list()} == {"Drafts", "FollowUp"}
        backlog = await ana.workbins.get_content(ids["SalesBacklog"])
        assert sorted(str(i.subject) for i in backlog) == [
            "Quote for 40 office chairs",
            "Upgrade to the premium plan",
        ]
        assert {i.media_type for i in backlog} == {"email", "chat"}
        (follow_up,) = await ana.workbins.get_content(ids["FollowUp"])
        assert follow_up.properties["OrderNumber"] == "ORD-204817"
        assert await ana.workbins.get_content(ids["Drafts"]) == []
        # chloe is in support and on floor-2, not in sales; ana's FollowUp copy is hers.
        (escalation,) = await chloe.workbins.get_content(ids["SupportEscalations"])
        assert escalation.properties["CustomerSegment"] == "Gold"
        assert len(await chloe.workbins.get_content(ids["Floor2Callbacks"])) == 1
        assert await chloe.workbins.get_content(ids["FollowUp"]) == []
        with pytest.raises(GwsError):
            await chloe.workbins.get_content(ids["SalesBacklog"])
        with pytest.raises(GwsError):
            await ana.workbins.get_content(ids["Floor2Callbacks"])
        me = await ana.me.get()
        skills = {s.name: s.level for s in await ana.users.list_skills(me.id)}
        assert skills == {"English": "8", "Portuguese": "9", "Sales": "7"}
        # /me/skills reads the same per-agent skills as /users/{id}/skills.
        assert {s.name: s.level for s in await ana.me.list_skills()} == skills
        assert {s.name for s in await ana.skills.list()} == {
            "English",
            "French",
            "Portuguese",
            "Sales",
            "Billing",
        }


def test_the_simulator_table_picks_the_spec_s_other_readings_and_the_inactivity() -> None:
    loaded = parse_scenario(
        MINIMAL
        + '\n[simulator]\nrevoke_after = 5\nemail_keys = "camelCase"\n'
        + 'email_interaction_type = "Email"\n',
        "readings.toml",
    )
    assert loaded.options == {
        "revoke_after": 5,
        "email_keys": "camelCase",
        "email_interaction_type": "Email",
    }
    context = loaded.simulator()._ctx
    assert (context.revoke_after, context.email_keys, context.email_interaction_type) == (
        5,
        "camelCase",
        "Email",
    )
    # Arguments given to simulator() win over the file's.
    assert loaded.simulator(revoke_after=None)._ctx.revoke_after is None


def test_a_scenario_without_workbins_skills_or_traffic_keeps_the_defaults() -> None:
    loaded = parse_scenario(MINIMAL, "minimal.toml")
    assert loaded.workbins is None
    assert loaded.skills is None
    assert loaded.traffic is None
    assert loaded.agents[0].agent_groups == ["MyAgentGroup"]
    sim = loaded.simulator()
    assert "AgentGroupWorkbin" in {w.name for w in sim.state.workbins.values()}
    assert sim.traffic is None


def test_a_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"cannot read the scenario .*nothing\.toml"):
        load_scenario(tmp_path / "nothing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b'[[agents]]\nusername = "\xff"\n')
    with pytest.raises(ScenarioError, match=r"binary\.toml line 2: not UTF-8 text"):
        load_scenario(binary)


AGENT_B = """
[[agents]]
username = "bob"
password = "b0b-pw"
agent_groups = ["sales"]
"""

# (file, line, key, problem): each malformed file names where and what.
MALFORMED = [
    pytest.param(
        MINIMAL + "first_name = Alice\n",
        4,
        "agents[0].first_name",
        "Invalid value",
        id="syntax error",
    ),
    pytest.param(
        MINIMAL.replace("password", "pasword"),
        3,
        "agents[0].pasword",
        "unknown key (did you mean 'password'?)",
        id="unknown key",
    ),
    pytest.param(
        MINIMAL + AGENT_B + "\n[traffic.sales]\nchats_per_minute = 'lots'\n",
        11,
        "traffic.sales.chats_per_minute",
        "expected a number, got a string",
        id="wrong type",
    ),
    pytest.param(
        MINIMAL + AGENT_B + "\n[traffic.sales]\nchats_per_minute = -2\n",
        11,
        "traffic.sales.chats_per_minute",
        "must be between 0 and 6000",
        id="rate out of range",
    ),
    pytest.param(
        MINIMAL + AGENT_B.replace('password = "b0b-pw"\n', ""),
        5,
        "agents[1].password",
        "missing",
        id="missing password",
    ),
    pytest.param(
        MINIMAL + AGENT_B.replace("bob", "alice"),
        6,
        "agents[1].username",
        "agent 'alice' is given twice (first on line 2)",
        id="duplicate agent",
    ),
    pytest.param(
        MINIMAL + "\n[traffic.salse]\ncalls_per_minute = 1\n",
        5,
        "traffic.salse",
        "no agent is in agent group 'salse'",
        id="traffic for an empty group",
    ),
    pytest.param(
        MINIMAL + "agent_groups = 'sales'\n",
        4,
        "agents[0].agent_groups",
        "expected a list of strings, got a string",
        id="list expected",
    ),
    pytest.param(
        MINIMAL + "roles = ['ROLE_BOSS']\n",
        4,
        "agents[0].roles",
        "'ROLE_BOSS' is not ROLE_AGENT or ROLE_ADMIN",
        id="unknown role",
    ),
    pytest.param(
        MINIMAL + "skills = { Klingon = 3 }\n",
        4,
        "agents[0].skills.Klingon",
        "no such skill",
        id="unknown skill",
    ),
    pytest.param(
        MINIMAL + "\n[[workbins]]\nname = 'Mine'\n\n[[workbins.items]]\nmedia = 'email'\n",
        8,
        "workbins[0].items[0].owner",
        "missing: a personal workbin's item needs the agent whose copy it sits in",
        id="item without owner",
    ),
    pytest.param(
        MINIMAL + "\n[[workbins]]\nname = 'A'\n\n[[workbins]]\nname = 'A'\n",
        9,
        "workbins[1].name",
        "workbin 'A' is given twice (first on line 6)",
        id="duplicate workbin",
    ),
    pytest.param(
        MINIMAL + "\n[[workbins]]\nname = 'G'\nagent_group = 'MyAgentGroup'\n"
        "place_group = 'MyPlaceGroup'\n",
        5,
        "workbins[0]",
        "an agent group or a place group, not both",
        id="workbin in two groups",
    ),
    pytest.param(
        "traffic.sales.chats_per_minute = 'x'\n\n" + AGENT_B,
        1,
        "traffic.sales.chats_per_minute",
        "expected a number, got a string",
        id="dotted key",
    ),
    pytest.param(
        MINIMAL + "\n[[workbins]]\nname='A'\n[[workbins.items]]\nowner='alice'\n\n"
        "[[workbins]]\nname='B'\n[[workbins.items]]\nowner='alice'\n"
        "[[workbins.items]]\nowner='alice'\nmedia = 7\n",
        16,
        "workbins[1].items[1].media",
        "expected a string, got an integer",
        id="nested arrays of tables",
    ),
    pytest.param(
        '[[agents]]\nusername = "alice"\nlast_name = """Multi\npasword = no\n"""\npasword = "x"\n',
        6,
        "agents[0].pasword",
        "unknown key",
        id="after a multi-line string",
    ),
    pytest.param(
        "agents = []\n",
        1,
        "agents",
        "no agent",
        id="no agent",
    ),
    pytest.param(
        MINIMAL + '\n[simulator]\nemail_keys = "snake_case"\n',
        6,
        "simulator.email_keys",
        "must be one of PascalCase, camelCase",
        id="unknown reading",
    ),
    pytest.param(
        MINIMAL + "\n[simulator]\nrevoke_after = -1\n",
        6,
        "simulator.revoke_after",
        "must be a positive number of seconds",
        id="negative inactivity",
    ),
    pytest.param(
        MINIMAL + "\n[simulator]\nrevoke_afterr = 1\n",
        6,
        "simulator.revoke_afterr",
        "unknown key (did you mean 'revoke_after'?)",
        id="unknown simulator key",
    ),
    pytest.param(
        MINIMAL + "\n[traffic]\nseed = 1.5\n",
        6,
        "traffic.seed",
        "expected an integer, got a float",
        id="seed not an integer",
    ),
]


@pytest.mark.parametrize(("text", "line", "key", "problem"), MALFORMED)
def test_a_malformed_scenario_names_the_line_and_the_key(
    text: str, line: int, key: str, problem: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "bad.toml")
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.line, error.key) == (line, key)
    assert str(error).startswith(f"bad.toml line {line}: {key}: ")
    assert problem in str(error)


@pytest.mark.parametrize(
    "text",
    [
        MINIMAL.replace(f'"{SECRET}"', SECRET),  # unquoted: a syntax error
        MINIMAL.replace(f'"{SECRET}"', f'["{SECRET}"]'),  # wrong type
        MINIMAL.replace("username", "user").replace("password", "passwd"),
        MINIMAL + f'\n[[agents]]\nusername = "al:ice"\npassword = "{SECRET}"\n',
    ],
    ids=["syntax", "type", "unknown keys", "bad username"],
)
def test_an_error_never_shows_a_password(text: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "bad.toml")
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    for error in chain:
        assert SECRET not in str(error)
        assert SECRET not in repr(error)
        assert SECRET not in repr(vars(error))
