"""System functions answer admin callers only (what `npx convex run` relies on)."""

from __future__ import annotations

import pytest

from convexlite import App, SyncBackend, v
from convexlite.functions.runner import FunctionNotFound

app = App()


@app.query(name="notes:list", args={"tag": v.string()})
def list_notes(ctx, args):
    return []


@app.internal_mutation(name="notes:purge")
def purge(ctx, args):
    return None


def test_api_spec_lists_every_function_for_admins_only():
    with SyncBackend(app) as backend:
        runner = backend.engine.runner
        with pytest.raises(FunctionNotFound):
            runner.run_query("_system/cli/modules:apiSpec", {})
        spec = runner.run_query("_system/cli/modules:apiSpec", {}, internal_ok=True).value
        by_name = {entry["identifier"]: entry for entry in spec}
        assert set(by_name) == {"notes.js:list", "notes.js:purge"}
        assert by_name["notes.js:list"]["functionType"] == "Query"
        assert by_name["notes.js:purge"]["visibility"] == {"kind": "internal"}
        assert '"tag"' in by_name["notes.js:list"]["args"]
