"""Testing a Convex project's TypeScript functions from pytest (examples/convex_project).

Return the project's directory from a `convex_project` fixture; the `convex` fixture is
then a fresh in-memory backend with the project pushed, for every test.
"""

from pathlib import Path

import pytest
from load_convex_project import main

from convexlite import ConvexError

# This repository links the example project's npm packages in (or skips without Node.js);
# your project has its own `node_modules`, installed by `npm install`.
pytestmark = pytest.mark.usefixtures("example_node_modules")


@pytest.fixture
def convex_project():
    return Path(__file__).parent / "convex_project"


def test_add_and_list_my_tasks(convex):
    ada = convex.with_identity({"subject": "ada"})
    ada.mutation("tasks:add", {"text": "  write docs "})
    assert [t["text"] for t in ada.query("tasks:mine")] == ["write docs"]
    assert convex.with_identity({"subject": "bob"}).query("tasks:mine") == []


def test_errors_reach_the_test(convex):
    with pytest.raises(ConvexError) as err:
        convex.query("tasks:mine")
    assert err.value.data == {"code": "UNAUTHENTICATED"}
    with pytest.raises(ConvexError):
        convex.with_identity({"subject": "ada"}).mutation("tasks:add", {"text": " "})


def test_actions_and_internal_functions(convex):
    ada = convex.with_identity({"subject": "ada"})
    assert ada.action("tasks:addMany", {"texts": ["a", "b", "c"]}) == 3
    assert convex.query("tasks:openCount") == 3  # tests may call internal functions


def test_run_seeds_data_under_the_schema(convex):
    convex.run(lambda ctx: ctx.db.insert("tasks", {"text": "seeded", "done": True, "owner": "x"}))
    assert convex.with_identity({"subject": "x"}).query("tasks:mine")[0]["done"] is True


async def test_the_example_program_runs(capsys):
    await main()
    out = capsys.readouterr().out
    assert "open: 2.0" in out  # a JavaScript number is a float
    assert "ada's tasks: ['write docs', 'a', 'b']" in out
    assert "anonymous: {'code': 'UNAUTHENTICATED'}" in out
