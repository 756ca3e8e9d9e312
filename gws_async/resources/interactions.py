"""Interactions: multimedia interactions of every media, plus their e-mail and chat operations.

Spec sections "Interactions API", "Interactions API Operations", "Interactions On E-mail
Channel" and "Interactions On Chat Channel". Everything hangs off ``gws.interactions``:

- ``gws.interactions.<op>``: operations valid for any media (accept, reject, transfer...);
- ``gws.interactions.email.<op>``: e-mail only (reply, forward, send, create_email...);
- ``gws.interactions.chat.<op>``: chat only (send_message, send_notification...);
- ``gws.interactions.attachments.<op>``: e-mail attachments (upload, download, delete).

The operations answer at once (``{"status": "ok"}`` or ``{"statusCode": 0}``); what they
did arrives as an ``InteractionStateMessage`` on ``/v2/me/interactions``. Each returns an
:class:`~gws_async.results.OperationResult`: when the server added a ``referenceId``,
``await gws.wait_for_reference(result.reference_id)`` finds that notification, otherwise
use ``gws.wait_for(InteractionStateMessage, check=...)`` registered before the call.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal, get_args

from pydantic import ConfigDict

from .._base import GwsModel
from ..results import Interaction, OperationResult
from ._base import Resource, segment
from ._query import require
from .attachments import AttachmentsResource

__all__ = [
    "ChatNotificationType",
    "ChatOperations",
    "EmailOperations",
    "InteractionsResource",
    "OutboundEmail",
]

#: The notifications ``SendNotification`` documents.
ChatNotificationType = Literal["TypingStarted", "TypingStopped"]
_CHAT_NOTIFICATIONS: frozenset[str] = frozenset(get_args(ChatNotificationType))


class OutboundEmail(GwsModel):
    """The content of an e-mail to :meth:`EmailOperations.send`.

    Sent as ``email_object`` with camelCase keys (``toAddress``, ``ccAddress``...). The
    spec's Send marks only ``ccAddress`` and ``bccAddress`` optional, so ``to_address``,
    ``from_address``, ``subject`` and ``text`` are required (leaving one out raises
    :class:`ValueError`); ``subject`` and ``text`` may be empty strings. For a reply, the
    ``ReplyCreated`` notification's ``email_object`` carries the ``from_address`` and
    ``subject`` the server chose. ``cc_address`` / ``bcc_address`` left as ``None`` are not
    sent.
    """

    model_config = ConfigDict(extra="forbid")

    to_address: str
    from_address: str
    subject: str
    text: str
    cc_address: str | None = None
    bcc_address: str | None = None

    def wire(self) -> dict[str, Any]:
        """The ``email_object`` as sent."""
        return self.model_dump(by_alias=True, exclude_none=True)


def _optional(value: str | None, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a str")
    return value


def _interaction_path(interaction_id: str) -> str:
    return f"/interactions/{segment(interaction_id, 'interaction_id')}"


class _InteractionOperations(Resource):
    """Sends ``POST /me/interactions/{id}`` operations."""

    async def _operate(self, interaction_id: str, operation: str, **fields: Any) -> OperationResult:
        body: dict[str, Any] = {"operationName": operation}
        body.update({key: value for key, value in fields.items() if value is not None})
        return await self._perform(
            "POST",
            f"/me/interactions/{segment(interaction_id, 'interaction_id')}",
            json_body=body,
            operation=operation,
        )


class InteractionsResource(_InteractionOperations):
    """Operations on interactions of any media (``/interactions``, ``/me/interactions``)."""

    @cached_property
    def email(self) -> EmailOperations:
        """E-mail operations: reply, reply_all, forward, send, cancel_reply_email, create_email."""
        return EmailOperations(self._transport)

    @cached_property
    def chat(self) -> ChatOperations:
        """Chat operations: send_message, send_notification, chat history, consultations."""
        return ChatOperations(self._transport)

    @cached_property
    def attachments(self) -> AttachmentsResource:
        """Attachments of an interaction: upload, download, download_to, delete."""
        return AttachmentsResource(self._transport)

    # -- reading ----------------------------------------------------------------------------

    async def list_all(self) -> builtins.list[Interaction]:
        """Every active interaction of the contact center (``GET /interactions?fields=*``)."""
        return await self._list(
            "/interactions",
            "interactions",
            Interaction,
            params={"fields": "*"},
            operation="GetInteractions",
        )

    async def list_all_uris(self) -> builtins.list[str]:
        """The URIs of every active interaction of the contact center (``GET /interactions``)."""
        return await self._uris("/interactions", operation="GetInteractions")

    async def list(self) -> builtins.list[Interaction]:
        """The interactions the agent is handling (``GET /me/interactions?fields=*``)."""
        return await self._list(
            "/me/interactions",
            "interactions",
            Interaction,
            params={"fields": "*"},
            operation="GetMyInteractions",
        )

    async def list_uris(self) -> builtins.list[str]:
        """The URIs of the interactions the agent is handling (``GET /me/interactions``)."""
        return await self._uris("/me/interactions", operation="GetMyInteractions")

    async def get(self, interaction_id: str) -> Interaction:
        """One interaction's details (``GET /interactions/{id}``)."""
        return await self._one(
            _interaction_path(interaction_id),
            "interaction",
            Interaction,
            operation="GetInteraction",
        )

    async def update(self, interaction_id: str, changes: Mapping[str, Any]) -> OperationResult:
        """Update an interaction (``PUT /interactions/{id}``); ``changes`` is a partial
        interaction resource, e.g. ``{"userData": {"Note": "VIP"}}``. What a field does
        depends on the interaction's channel."""
        if not isinstance(changes, Mapping) or not changes:
            raise ValueError("changes is empty")
        return await self._perform(
            "PUT",
            _interaction_path(interaction_id),
            json_body=dict(changes),
            operation="UpdateInteraction",
        )

    # -- ownership --------------------------------------------------------------------------

    async def accept(self, interaction_id: str, *, nickname: str | None = None) -> OperationResult:
        """Take an invited interaction (``Accept``). For chat, ``nickname`` is the name the
        customer sees; an ``Accepted`` notification follows (for chat with the transcript)."""
        if nickname is not None:
            require(nickname, "nickname")
        return await self._operate(interaction_id, "Accept", nickname=nickname)

    async def reject(self, interaction_id: str) -> OperationResult:
        """Turn down an invited interaction so it goes to another agent (``Reject``)."""
        return await self._operate(interaction_id, "Reject")

    async def stop_processing(self, interaction_id: str) -> OperationResult:
        """End the agent's work on an interaction it accepted (``StopProcessing``)."""
        return await self._operate(interaction_id, "StopProcessing")

    async def place_in_queue(self, interaction_id: str, queue: str) -> OperationResult:
        """Hand the interaction to a queue for further processing (``PlaceInQueue``)."""
        return await self._operate(interaction_id, "PlaceInQueue", queue=require(queue, "queue"))

    async def update_properties(
        self, interaction_id: str, properties: Mapping[str, Any]
    ) -> OperationResult:
        """Set interaction properties, a map whose values may be maps (``UpdateProperties``)."""
        if not isinstance(properties, Mapping) or not properties:
            raise ValueError("properties is empty")
        return await self._operate(interaction_id, "UpdateProperties", properties=dict(properties))

    async def place_in_workbin(self, interaction_id: str, workbin: str) -> OperationResult:
        """Put the interaction into a workbin (``PlaceInWorkbin``)."""
        return await self._operate(
            interaction_id, "PlaceInWorkbin", workbin=require(workbin, "workbin")
        )

    async def get_workbin_content(self, interaction_id: str, workbin: str) -> OperationResult:
        """Ask for a workbin's content (``GetWorkbinContent``): one ``InteractionStateMessage``
        per interaction in it follows on ``/v2/me/interactions``."""
        return await self._operate(
            interaction_id, "GetWorkbinContent", workbin=require(workbin, "workbin")
        )

    async def transfer(self, interaction_id: str, target_id: str) -> OperationResult:
        """Give the interaction to another agent (``Transfer``, ``targetId``)."""
        return await self._operate(
            interaction_id, "Transfer", targetId=require(target_id, "target_id")
        )

    async def start_conference(self, interaction_id: str, agent_id: str) -> OperationResult:
        """Invite another agent to work on the interaction too (``StartConference``); the
        invited agent gets an ``InvitedConference`` notification."""
        return await self._operate(
            interaction_id, "StartConference", agentId=require(agent_id, "agent_id")
        )

    async def leave_conference(self, interaction_id: str, agent_id: str) -> OperationResult:
        """Leave a conference (the spec's ``EndConference``, sent as ``LeaveConference``);
        the agents remaining get a ``LeftConference`` notification."""
        return await self._operate(
            interaction_id, "LeaveConference", agentId=require(agent_id, "agent_id")
        )


class EmailOperations(_InteractionOperations):
    """E-mail operations (``gws.interactions.email``)."""

    async def reply(
        self,
        interaction_id: str,
        *,
        queue_name: str,
        subject_prefix: str | None = None,
        reply_to_start_line: str | None = None,
        indent_character: str | None = None,
        quote_original: bool | None = None,
    ) -> OperationResult:
        """Create a reply to an accepted inbound e-mail (``Reply``). A ``ReplyCreated``
        notification carries the new outbound interaction; ``reply_interaction_id`` is set
        when the server sends it. ``queue_name`` holds the reply while it is composed."""
        return await self._reply(
            "Reply",
            interaction_id,
            queue_name,
            subject_prefix,
            reply_to_start_line,
            indent_character,
            quote_original,
        )

    async def reply_all(
        self,
        interaction_id: str,
        *,
        queue_name: str,
        subject_prefix: str | None = None,
        reply_to_start_line: str | None = None,
        indent_character: str | None = None,
        quote_original: bool | None = None,
    ) -> OperationResult:
        """:meth:`reply` to the sender and every CC address (``ReplyAll``)."""
        return await self._reply(
            "ReplyAll",
            interaction_id,
            queue_name,
            subject_prefix,
            reply_to_start_line,
            indent_character,
            quote_original,
        )

    async def _reply(
        self,
        operation: str,
        interaction_id: str,
        queue_name: str,
        subject_prefix: str | None,
        reply_to_start_line: str | None,
        indent_character: str | None,
        quote_original: bool | None,
    ) -> OperationResult:
        if quote_original is not None and not isinstance(quote_original, bool):
            raise ValueError("quote_original must be a bool")
        return await self._operate(
            interaction_id,
            operation,
            subjectPrefix=_optional(subject_prefix, "subject_prefix"),
            replyToStartLine=_optional(reply_to_start_line, "reply_to_start_line"),
            indentCharacter=_optional(indent_character, "indent_character"),
            quoteOriginal=quote_original,
            queueName=require(queue_name, "queue_name"),
        )

    async def forward(self, interaction_id: str) -> OperationResult:
        """Create an outbound copy of an accepted e-mail to send to an address of the
        agent's choice (``Forward``); ``reply_interaction_id`` names the copy."""
        return await self._operate(interaction_id, "Forward")

    async def send(
        self, interaction_id: str, *, queue_name: str, email: OutboundEmail
    ) -> OperationResult:
        """Send an outbound e-mail the agent composed (``Send``); blank addresses raise
        :class:`ValueError` before anything is sent."""
        if not isinstance(email, OutboundEmail):
            raise ValueError("email must be an OutboundEmail")
        require(email.to_address, "email.to_address")
        require(email.from_address, "email.from_address")
        return await self._operate(
            interaction_id,
            "Send",
            queueName=require(queue_name, "queue_name"),
            email_object=email.wire(),
        )

    async def cancel_reply_email(self, interaction_id: str) -> OperationResult:
        """Drop a reply created by :meth:`reply` / :meth:`reply_all` (``CancelReplyEmail``)."""
        return await self._operate(interaction_id, "CancelReplyEmail")

    async def create_email(
        self,
        *,
        queue_name: str,
        interaction_type: str = "Outbound",
        interaction_sub_type: str = "OutboundNew",
    ) -> OperationResult:
        """Create a new outbound e-mail (``CreateEmail`` on ``POST /me/interactions``); it
        arrives as a ``ReplyCreated`` notification."""
        body = {
            "operationName": "CreateEmail",
            "queueName": require(queue_name, "queue_name"),
            "interactionType": require(interaction_type, "interaction_type"),
            "interactionSubType": require(interaction_sub_type, "interaction_sub_type"),
        }
        return await self._perform(
            "POST", "/me/interactions", json_body=body, operation="CreateEmail"
        )


class ChatOperations(_InteractionOperations):
    """Chat operations (``gws.interactions.chat``); accept with
    ``gws.interactions.accept(id, nickname=...)``."""

    async def send_message(self, interaction_id: str, text: str) -> OperationResult:
        """Say something in the chat (``SendMessage``); a ``NEW_MESSAGE`` follows."""
        if not isinstance(text, str) or not text:
            raise ValueError("text is empty")
        return await self._operate(interaction_id, "SendMessage", text=text)

    async def send_notification(
        self, interaction_id: str, notification: ChatNotificationType
    ) -> OperationResult:
        """Tell the other parties the agent started or stopped typing (``SendNotification``)."""
        if notification not in _CHAT_NOTIFICATIONS:
            raise ValueError(
                f"notification must be one of {sorted(_CHAT_NOTIFICATIONS)}, got {notification!r}"
            )
        return await self._operate(interaction_id, "SendNotification", notification=notification)

    async def request_chat_history(
        self, interaction_id: str, *, event_id: int | None = None
    ) -> OperationResult:
        """Ask for the transcript, from ``event_id`` on if given (``RequestChatHistory``);
        it arrives in the ``chat_notifications`` of a notification."""
        if event_id is not None and (
            isinstance(event_id, bool) or not isinstance(event_id, int) or event_id < 0
        ):
            raise ValueError("event_id must be a non-negative int")
        return await self._operate(interaction_id, "RequestChatHistory", eventId=event_id)

    async def start_chat_consultation(self, interaction_id: str, agent_id: str) -> OperationResult:
        """Consult another agent, the first step of a two-step transfer or conference
        (the spec's ``InitiateConsultation``, sent as ``StartChatConsultation``)."""
        return await self._operate(
            interaction_id, "StartChatConsultation", agentId=require(agent_id, "agent_id")
        )

    async def complete_transfer(self, interaction_id: str) -> OperationResult:
        """Turn the consultation into a transfer to the consulted agent (``CompleteTransfer``)."""
        return await self._operate(interaction_id, "CompleteTransfer")

    async def leave_chat_consultation(self, interaction_id: str) -> OperationResult:
        """Turn the consultation into a conference with the consulted agent (the spec's
        ``CompleteConference``, sent as ``LeaveChatConsultation``)."""
        return await self._operate(interaction_id, "LeaveChatConsultation")
