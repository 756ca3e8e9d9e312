"""gws.contacts: the exact method, path, query and body sent (aioresponses)."""

from __future__ import annotations

import pytest

from gws_async import GwsClient
from gws_async.results import (
    Contact,
)
from tests.conftest import API, RestMock, body_of

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "admin", "roles": ["ROLE_ADMIN"]}}
OK = {"statusCode": 0}
pytestmark = pytest.mark.mock_login(username="admin", me=ME)


async def test_contacts_list_sends_the_filters(mock_gws: GwsClient, mock: RestMock) -> None:
    url = (
        f"{API}/contacts?type=User&firstName=Joe&lastName=Johnson&userName=joej"
        "&phoneNumber=5001&employeeId=e1&fields=*"
    )
    contact = {"id": "c1", "type": "User", "firstName": "Joe"}
    mock.get(url, payload={"statusCode": 0, "contacts": [contact]})
    contacts = await mock_gws.contacts.list(
        type="User",
        first_name="Joe",
        last_name="Johnson",
        user_name="joej",
        phone_number="5001",
        employee_id="e1",
    )
    assert contacts == [Contact(id="c1", type="User", first_name="Joe")]
    mock.only_call("GET", url, any_query_order=True)


async def test_contacts_list_checks_filters(mock_gws: GwsClient, mock: RestMock) -> None:
    with pytest.raises(ValueError, match="type"):
        await mock_gws.contacts.list(type="Robot")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        await mock_gws.contacts.list(name=" ")
    assert mock.sent_nothing_but_login()


async def test_contacts_list_uris(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.get(f"{API}/contacts", payload={"statusCode": 0, "uris": [f"{API}/contacts/c1"]})
    assert await mock_gws.contacts.list_uris() == [f"{API}/contacts/c1"]


async def test_contacts_create_is_custom(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.post(f"{API}/contacts", payload={"statusCode": 0, "id": "c9", "uri": "u"})
    result = await mock_gws.contacts.create("Some Contact", "650-555-0100")
    assert result.id == "c9"
    call = mock.only_call("POST", f"{API}/contacts", any_query_order=True)
    assert body_of(call) == {
        "name": "Some Contact",
        "type": "Custom",
        "phoneNumber": "650-555-0100",
    }


async def test_contacts_update_and_delete(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.put(f"{API}/contacts/c9", payload=OK)
    mock.delete(f"{API}/contacts/c9", payload=OK)
    await mock_gws.contacts.update("c9", phone_number="5555")
    assert body_of(mock.only_call("PUT", f"{API}/contacts/c9", any_query_order=True)) == {
        "phoneNumber": "5555"
    }
    await mock_gws.contacts.delete("c9")
    mock.only_call("DELETE", f"{API}/contacts/c9", any_query_order=True)


async def test_contacts_writes_check_inputs(mock_gws: GwsClient, mock: RestMock) -> None:
    with pytest.raises(ValueError, match="name"):
        await mock_gws.contacts.create("", "1")
    with pytest.raises(ValueError, match="nothing to update"):
        await mock_gws.contacts.update("c9")
    with pytest.raises(ValueError, match="contact_id"):
        await mock_gws.contacts.delete("")
    assert mock.sent_nothing_but_login()
