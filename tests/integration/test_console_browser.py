"""The console page in a real headless Chromium (Debian's ``chromium`` driven through
``chromium-driver`` by selenium): it loads, shows the agents, and pressing "offer chat"
puts the chat in the feed and in the agent's interactions while a ``GwsClient`` logged in
as that agent receives the notification.

Outside CI the test skips when Chromium, its driver or selenium is missing; in CI
(``CI`` set) it fails instead, since ``.ci/run`` installs them. ``GWS_CONSOLE_SCREENSHOT``
names a file to save a screenshot of the page to (docs/img/console.png comes from here).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from gws_async import GwsClient
from gws_async.events import InteractionStateMessage
from gws_async.simulator import GwsSimulator

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 15.0
T = TypeVar("T")


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the test extra)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the console test cannot run in CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace for the sandbox
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1500,1000",
        "--no-first-run",
    ):
        options.add_argument(argument)
    # An explicit driver: selenium must never try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


async def _until(browser: Any, condition: Callable[[Any], T], what: str) -> T:
    """Wait in a thread (the simulator runs on this loop) until ``condition`` holds."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.wait import WebDriverWait

    try:
        return await asyncio.to_thread(WebDriverWait(browser, WAIT, 0.1).until, condition)
    except TimeoutException:
        pytest.fail(f"the console did not show {what} within {WAIT:.0f} s")


def _css(selector: str) -> Callable[[Any], Any]:
    from selenium.webdriver.common.by import By

    def find(driver: Any) -> Any:
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        return found[0] if found else False

    return find


async def test_the_console_shows_agents_and_offers_a_chat(
    sim: GwsSimulator, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.support.ui import Select

    async with GwsClient(sim.url, "agent1", "password1") as gws:
        await gws.subscribe()
        await asyncio.to_thread(browser.get, f"{sim.url}/console#token={sim.control_token}")
        for agent in sim.state.agents:
            await _until(browser, _css(f'article.agent[data-agent="{agent}"]'), agent)
        # The token left the address bar for this tab's session storage.
        assert "token" not in browser.current_url
        await _until(browser, _css("#status.ok"), "the live feed connected")

        invited = gws.wait_for(
            InteractionStateMessage, check=lambda e: e.state == "Invited", timeout=WAIT
        )
        form = await _until(browser, _css('form[data-hook="offer-chat"]'), "the offer chat form")
        Select(form.find_element("name", "username")).select_by_value("agent1")
        form.find_element("name", "nickname").send_keys("Bob")
        form.find_element("css selector", 'button[data-hook="offer-chat"]').click()

        event = await invited
        chat = sim.state.interactions[event.id]
        assert (chat.owner, chat.media) == ("agent1", "chat")
        item = f'article.agent[data-agent="agent1"] li.interaction[data-id="{event.id}"]'
        shown = await _until(browser, _css(item), "the chat in agent1's interactions")
        assert "Invited" in shown.text
        entry = await _until(browser, _css("#feed li.notification"), "the notification")
        assert "agent1" in entry.text
        assert "/v2/me/interactions" in entry.text
        assert event.id in entry.text
        assert "1 session" in entry.text

        await _dress_for_a_picture(sim, browser)
        screenshot = Path(os.environ.get("GWS_CONSOLE_SCREENSHOT") or tmp_path / "console.png")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        assert await asyncio.to_thread(browser.save_screenshot, str(screenshot))


async def _dress_for_a_picture(sim: GwsSimulator, browser: Any) -> None:
    """A little more traffic, so that the screenshot shows what the page is for."""
    sim.ring_call("agent2", "5550142")
    sim.deliver_email(
        "agent1", subject="Order 42", text="Where is it?", from_address="bob@example.com"
    )
    workbin = next(wb.id for wb in sim.state.workbins.values() if wb.name == "TestWorkbin")
    sim.put_in_workbin("agent2", workbin, media="email", user_data={"Subject": "Refund"})
    await _until(browser, _css('article.agent[data-agent="agent2"] li.call'), "the call")
    await _until(browser, _css("article.workbin li.interaction"), "the workbin item")


async def test_without_the_token_the_page_asks_for_it(sim: GwsSimulator, browser: Any) -> None:
    # A new simulator (port) is a new origin, but clear the tab's storage all the same.
    await asyncio.to_thread(browser.get, f"{sim.url}/console")
    await asyncio.to_thread(browser.execute_script, "sessionStorage.clear()")
    await asyncio.to_thread(browser.get, f"{sim.url}/console")
    await _until(browser, _css("#login:not([hidden])"), "the token prompt")
    assert not browser.find_elements("css selector", "article.agent")
    # A wrong token is refused and asked for again.
    field = browser.find_element("id", "token-input")
    field.send_keys("not-the-token-at-all")
    browser.find_element("css selector", "#login-form button").click()
    error = await _until(browser, _css("#login-error"), "the refusal")
    await _until(browser, lambda d: "refused" in error.text, "the refusal message")
