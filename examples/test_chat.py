"""Testing Convex functions with the `convex` fixture of convexlite's pytest plugin."""

import pytest
from chat import app, main

from convexlite import ConvexError


@pytest.fixture
def convex_app():
    return app


def test_send_and_list(convex):
    convex.mutation("messages:send", {"author": "ada", "body": "hi"})
    convex.mutation("messages:send", {"author": "bob", "body": "yo"})
    assert [m["body"] for m in convex.query("messages:list", {"author": "ada"})] == ["hi"]


def test_empty_message_is_rejected(convex):
    with pytest.raises(ConvexError) as err:
        convex.mutation("messages:send", {"author": "ada", "body": "  "})
    assert err.value.data["code"] == "EMPTY"
    assert convex.query("messages:list", {}) == []


def test_run_sets_up_data_directly(convex):
    convex.run(lambda ctx: ctx.db.insert("messages", {"author": "eve", "body": "seeded"}))
    assert convex.query("messages:list", {})[0]["author"] == "eve"


def test_action_calls_mutations(convex):
    assert convex.action("messages:sendMany", {"author": "grace", "count": 3}) == 3
    assert len(convex.query("messages:list", {"author": "grace"})) == 3


async def test_the_example_program_runs_twice_on_one_store(tmp_path, capsys):
    await main(str(tmp_path / "chat.db"))
    await main(str(tmp_path / "chat.db"))
    out = capsys.readouterr().out
    assert "ada wrote: ['hello', 'hello']" in out
    assert "eve now wrote: ['psst', 'psst']" in out
