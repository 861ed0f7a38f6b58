"""The pytest plugin on a Convex project (`convex_project`), run the way a user's suite runs it:
TypeScript functions pushed by the project's own CLI, called from Python tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from npm_clients import npm_clients

from convexlite import SyncBackend

pytest_plugins = ["pytester"]

PROJECT = Path(__file__).parent / "push" / "project"


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    clients = npm_clients("the plugin's project tests")
    copied = pytester.path / "myproject"
    shutil.copytree(PROJECT, copied)
    (copied / "node_modules").symlink_to(clients / "node_modules")
    return copied


@pytest.fixture
def bundles_made(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every project the CLI bundled during the inner run (it runs in this process)."""
    made: list[Path] = []
    bundle = SyncBackend.bundle

    def counted(self: SyncBackend, project: Any, **options: Any) -> dict[str, Any]:
        made.append(Path(project))
        return bundle(self, project, **options)

    monkeypatch.setattr(SyncBackend, "bundle", counted)
    return made


def test_the_convex_fixture_on_a_project(
    pytester: pytest.Pytester, project: Path, bundles_made: list[Path]
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        from convexlite import App, ConvexError

        PROJECT = {str(project)!r}

        @pytest.fixture
        def convex_project():
            return PROJECT

        def test_send_and_list(convex):
            convex.mutation("messages:send", {{"channel": "c", "author": "ada", "body": " hi "}})
            assert [m["body"] for m in convex.query("messages:list", {{"channel": "c"}})] == ["hi"]

        def test_each_test_gets_a_fresh_backend(convex):
            assert convex.query("messages:list", {{"channel": "c"}}) == []

        def test_errors_actions_identities_and_internal_functions(convex):
            with pytest.raises(ConvexError) as err:
                convex.mutation("messages:send", {{"channel": "c", "author": "a", "body": " "}})
            assert err.value.data == {{"code": "EMPTY", "channel": "c"}}
            assert convex.action("workflows:fanOut", {{"channel": "c", "n": 2}}) == 2
            assert convex.query("workflows:count", {{"channel": "c"}}) == 2  # internal
            assert convex.with_identity({{"subject": "u7"}}).action("workflows:whoAmI") == "u7"
            user = convex.with_identity({{"subject": "u7", "level": 5, "org": {{"id": 7}}}})
            assert user.query("workflows:identityTypes") == {{
                "tokenIdentifier": "string", "issuer": "string", "subject": "string",
                "level": "number", "org": "object",
            }}

        def test_run_writes_under_the_pushed_schema(convex):
            convex.run(lambda ctx: ctx.db.insert(
                "messages", {{"channel": "c", "author": "seed", "body": "seeded"}}))
            assert convex.query("messages:first", {{"channel": "c"}})["body"] == "seeded"
            with pytest.raises(Exception, match="does not match the schema"):
                convex.run(lambda ctx: ctx.db.insert("messages", {{"channel": 1}}))

        def test_a_changed_project_is_bundled_again(convex):
            with open(PROJECT + "/convex/extra.ts", "w") as f:
                f.write('import {{ query }} from "./_generated/server";\\n'
                        'export const hello = query({{ handler: async () => "hi" }});\\n')

        def test_sees_the_change(convex):
            assert convex.query("extra:hello") == "hi"

        class TestBesideAPythonApp:
            @pytest.fixture
            def convex_app(self):
                app = App()

                @app.query(name="py:count")
                def count(ctx, args):
                    return len(ctx.db.query("messages").collect())

                return app

            def test_both_kinds(self, convex):
                convex.mutation("messages:send", {{"channel": "c", "author": "a", "body": "b"}})
                assert convex.query("py:count") == 1
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)
    # once for the session, once more after extra.ts was written
    assert bundles_made == [project, project]
