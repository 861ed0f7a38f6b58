"""The maintenance example: a paused deployment refuses the order, and the metrics count
every call, the refused one included."""

from maintenance import maintenance_window


async def test_maintenance_window():
    seen = await maintenance_window()
    assert "deployment is paused" in str(seen["refused while paused"])
    assert seen["calls in the last minutes"] == {"orders.js:place": 3.0}
