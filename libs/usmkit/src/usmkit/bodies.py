"""Request bodies read whole before the app runs, then replayed to it (the admission limit
reads before it takes a turn; a lane reads before it knows whether the router answers)."""

from __future__ import annotations

from starlette.types import Message, Receive


async def whole_body(receive: Receive) -> list[Message]:
    """The request's messages up to the last part of its body (or a disconnect)."""
    messages = [await receive()]
    while messages[-1]["type"] == "http.request" and messages[-1].get("more_body", False):
        messages.append(await receive())
    return messages


def body_of(messages: list[Message]) -> bytes:
    return b"".join(message.get("body", b"") for message in messages)


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` for an app whose request `messages` were already read: those first, then
    what comes after them (a disconnect)."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
