"""Parsing client messages: what the official clients send is accepted, anything else refused."""

from __future__ import annotations

import json

import pytest

from convexlite.sync import (
    Add,
    Authenticate,
    Connect,
    Event,
    ModifyQuerySet,
    Mutation,
    ProtocolError,
    Remove,
    parse_message,
)
from convexlite.values.formats import decode_ts, encode_ts

SESSION = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"


@pytest.mark.parametrize(
    ("ts", "encoded"),
    [
        (0, "AAAAAAAAAAA="),
        (1755820800123456789, "Fc2ZCLftXRg="),
        (1755820801000000000, "AMrYPLftXRg="),
        (1755820802250000000, "gEZah7ftXRg="),
    ],
)
def test_timestamps_match_spec_vectors(ts: int, encoded: str) -> None:
    assert encode_ts(ts) == encoded
    assert decode_ts(encoded) == ts


def test_npm_connect_and_reconnect() -> None:
    first = parse_message(
        json.dumps(
            {
                "type": "Connect",
                "sessionId": SESSION,
                "connectionCount": 0,
                "lastCloseReason": "InitialConnect",
                "clientTs": 1755820799000,
            }
        )
    )
    assert first == Connect(SESSION, 0, "InitialConnect", None, 1755820799000.0)
    again = parse_message(
        json.dumps(
            {
                "type": "Connect",
                "sessionId": SESSION,
                "connectionCount": 1,
                "lastCloseReason": None,
                "maxObservedTimestamp": "AC+mWrftXRg=",
            }
        )
    )
    assert again == Connect(SESSION, 1, None, 1755820801500000000, None)


def test_modify_query_set_with_and_without_journal() -> None:
    message = parse_message(
        json.dumps(
            {
                "type": "ModifyQuerySet",
                "baseVersion": 0,
                "newVersion": 1,
                "modifications": [
                    {"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": [{}]},
                    {
                        "type": "Add",
                        "queryId": 1,
                        "udfPath": "users",
                        "args": [{}],
                        "journal": None,
                    },
                    {"type": "Remove", "queryId": 7},
                ],
            }
        )
    )
    assert message == ModifyQuerySet(
        0,
        1,
        (
            Add(0, "messages:list", [{}], None, None),
            Add(1, "users", [{}], None, None),
            Remove(7),
        ),
    )


def test_requests_auth_and_events() -> None:
    assert parse_message(
        '{"type":"Mutation","requestId":3,"udfPath":"messages.js:send","args":[{"a":1}]}'
    ) == Mutation(3, "messages.js:send", [{"a": 1}], None)
    assert parse_message(
        '{"type":"Authenticate","tokenType":"None","baseVersion":1}'
    ) == Authenticate(1, "None", None, None)
    assert parse_message(
        '{"type":"Authenticate","tokenType":"Admin","baseVersion":0,"value":"k",'
        '"acting_as":{"subject":"u","issuer":"i"}}'
    ) == Authenticate(0, "Admin", "k", {"subject": "u", "issuer": "i"})
    assert parse_message('{"type":"Event","eventType":"Whatever","event":{"x":[1]}}') == Event(
        "Whatever", {"x": [1]}
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("not json", "Expecting value"),
        ("[1]", "expected a JSON object"),
        ('{"type":"Bogus"}', "unknown message type `Bogus`"),
        ('{"type":"Mutation","requestId":0,"udfPath":"a:b"}', "missing field `args`"),
        ('{"type":"Mutation","requestId":-1,"udfPath":"a:b","args":[]}', "u32"),
        ('{"type":"Mutation","requestId":true,"udfPath":"a:b","args":[]}', "requestId"),
        ('{"type":"Mutation","requestId":0,"udfPath":"../a:b","args":[]}', ""),
        ('{"type":"Connect","sessionId":"nope","connectionCount":0}', "not a UUID"),
        (
            '{"type":"Connect","sessionId":"' + SESSION + '","connectionCount":0,'
            '"maxObservedTimestamp":"AAAA"}',
            "8 bytes",
        ),
        ('{"type":"Authenticate","tokenType":"User","baseVersion":0}', "missing field `value`"),
        ('{"type":"Authenticate","tokenType":"Root","baseVersion":0,"value":"x"}', "tokenType"),
    ],
)
def test_invalid_messages_are_protocol_errors(text: str, detail: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_message(text)
    assert caught.value.fatal
    assert caught.value.message.startswith("Received Invalid JSON on websocket: ")
    assert detail in caught.value.message
