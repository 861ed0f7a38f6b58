"""The parser targets of `targets.py` under Hypothesis, as CI runs them: random bytes,
mutations of each target's valid seeds, and nesting deeper than a parser recurses.
(`atheris_run.py` runs the same targets coverage-guided for as long as one likes.)"""

from __future__ import annotations

import pytest
from conftest import fuzz
from hypothesis import given
from hypothesis import strategies as st
from strategies import mutated
from targets import SEEDS, TARGETS

COUNTS = {"zip_import": 60, "table_import": 40, "jwt": 80}


def _inputs(name: str) -> st.SearchStrategy[bytes]:
    seeds = st.sampled_from(SEEDS[name])
    return st.one_of(
        st.binary(max_size=200),
        seeds,
        seeds.flatmap(mutated),
        st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    )


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_parser_target(name: str) -> None:
    @fuzz(COUNTS.get(name, 100))
    @given(data=_inputs(name))
    def run(data: bytes) -> None:
        TARGETS[name](data)

    run()
