"""Testing scheduled functions: time moves only when the test moves it."""

import pytest
from reminders import app

from convexlite import ConvexBackendError


@pytest.fixture
def convex_app():
    return app


def test_a_reminder_fires_when_its_time_comes(convex):
    convex.mutation("reminders:set", {"text": "stretch", "inMs": 60_000})
    assert len(convex.query("reminders:pending")) == 1
    convex.advance_time(59_999)
    assert convex.finish_in_progress_scheduled_functions() == 0
    convex.advance_time(1)
    assert convex.finish_in_progress_scheduled_functions() == 1
    assert convex.query("reminders:list") == [{"text": "stretch", "fired": True}]
    assert convex.query("reminders:pending") == []


def test_finish_scheduled_functions_runs_everything(convex):
    convex.mutation("reminders:set", {"text": "a", "inMs": 1_000})
    convex.mutation("reminders:set", {"text": "b", "inMs": 86_400_000})
    assert convex.finish_scheduled_functions() == 2
    assert [r["fired"] for r in convex.query("reminders:list")] == [True, True]


def test_a_bad_reminder_schedules_nothing(convex):
    with pytest.raises(ConvexBackendError):
        convex.mutation("reminders:set", {"text": "x", "inMs": -1})
    assert convex.query("reminders:pending") == []
