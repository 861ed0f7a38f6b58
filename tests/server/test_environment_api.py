"""The environment variable endpoints (spec/platform.md §5.4) through an ASGI transport."""

from __future__ import annotations

import pytest

from convexlite.auth.keys import issue_admin_key

UPDATE_PATHS = ["/api/update_environment_variables", "/api/v1/update_environment_variables"]
LIST_PATHS = ["/api/list_environment_variables", "/api/v1/list_environment_variables"]


async def update(served, changes, *, headers=None):
    return await served.client.post(
        UPDATE_PATHS[0],
        json={"changes": changes},
        headers=served.admin if headers is None else headers,
    )


async def listed(served, path=LIST_PATHS[0]):
    answered = await served.client.get(path, headers=served.admin)
    assert answered.status_code == 200
    return answered.json()["environmentVariables"]


@pytest.mark.parametrize("path", UPDATE_PATHS)
async def test_a_batch_is_set_and_listed_on_both_paths(served, path):
    answered = await served.client.post(
        path,
        json={"changes": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]},
        headers=served.admin,
    )
    assert (answered.status_code, answered.content) == (200, b"")
    for list_path in LIST_PATHS:
        assert await listed(served, list_path) == {"A": "1", "B": "2"}
    await update(
        served, [{"name": "A", "value": None}, {"name": "B"}, {"name": "GONE", "value": None}]
    )
    assert await listed(served) == {}


async def test_admin_keys_are_required_and_read_only_keys_only_list(served):
    for headers in ({}, {"Authorization": "Convex nope"}):
        assert (
            await update(served, [{"name": "A", "value": "1"}], headers=headers)
        ).status_code == 401
        assert (await served.client.get(LIST_PATHS[1], headers=headers)).status_code == 401
    backend = served.backend
    read_only = issue_admin_key(backend.instance_name, backend.instance_secret, read_only=True)
    headers = {"Authorization": f"Convex {read_only}"}
    refused = await update(served, [{"name": "A", "value": "1"}], headers=headers)
    assert refused.status_code == 403
    assert (await served.client.get(LIST_PATHS[0], headers=headers)).json() == {
        "environmentVariables": {}
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ([{"name": "1BAD", "value": "x"}], "EnvironmentVariableNameInvalid"),
        ([{"name": "A" * 257, "value": "x"}], "EnvironmentVariableNameTooLong"),
        ([{"name": "BIG", "value": "x" * 8193}], "EnvironmentVariableValueTooLarge"),
        ([{"name": "CONVEX_SITE_URL", "value": "x"}], "EnvVarNameForbidden"),
        ([{"name": f"V{i}", "value": ""} for i in range(513)], "EnvVarLimitMet"),
        ([{"name": f"V{i}", "value": "x" * 8000} for i in range(70)], "EnvVarTotalSizeLimitMet"),
        ([{"name": "A", "value": 1}], "BadJsonBody"),
        ({"name": "A"}, "BadJsonBody"),
    ],
)
async def test_bad_input_is_refused_in_convex_format_and_changes_nothing(served, changes, code):
    await update(served, [{"name": "KEEP", "value": "kept"}])
    refused = await update(
        served, [{"name": "NEW", "value": "v"}, *changes] if isinstance(changes, list) else changes
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == code and refused.json()["message"]
    assert await listed(served) == {"KEEP": "kept"}
