"""How long things took lately: the moving average that decides where a sync (dispatch)
or a JavaScript run (js/runtime) waits."""

from __future__ import annotations


def recent_average(previous: float | None, sample: float) -> float:
    """A moving average that follows the last few samples (the first sample starts it)."""
    return sample if previous is None else 0.8 * previous + 0.2 * sample
