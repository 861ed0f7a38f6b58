"""Function addresses of nested calls, resolved against the caller's component, and the
namespaces that keep each component instance's tables its own."""

from __future__ import annotations

import pytest

from convexlite.database.namespace import ROOT, TableNamespace, namespace_of_function
from convexlite.functions.references import (
    InvalidReference,
    below,
    function_address,
    function_handle,
    not_exported,
)
from convexlite.values.function_paths import InvalidFunctionPath, canonicalize, split_component


def test_names_address_the_callers_own_component() -> None:
    assert function_address({"name": "messages:list"}, "app:run") == "messages:list"
    assert function_address({"name": "lib.js:run"}, "pool|loop:main") == "pool|lib:run"
    assert function_address({"name": "lib"}, "a/b|x:y") == "a/b|lib:default"


def test_references_address_a_child_of_the_callers_component() -> None:
    reference = "_reference/childComponent/tally/counts/add"
    assert function_address({"reference": reference}, "app:bump") == "tally|counts:add"
    deep = "_reference/childComponent/batchWorker/dir/lib/start"
    assert function_address({"reference": deep}, "pool|kick:go") == "pool/batchWorker|dir/lib:start"
    for bad in ("_reference/childComponent/tally", "_reference/function/x:y"):
        with pytest.raises(InvalidReference):
            function_address({"reference": bad}, "app:bump")


def test_handles_carry_their_target_across_components() -> None:
    handle = function_handle("tally|counts:add")
    assert handle.startswith("function://") and handle.endswith("#counts:add")
    assert function_address({"functionHandle": handle}, "pool|worker:run") == "tally|counts:add"
    with pytest.raises(InvalidReference, match="Invalid function handle"):
        function_address({"functionHandle": "function://%%%"}, "app:x")


def test_the_error_of_a_function_a_child_does_not_export() -> None:
    error = not_exported("a/tally|dir/counts:nope")
    assert error.code == "InvalidReference"
    assert error.message == 'Child component "tally" does not export ["dir", "counts", "nope"]'


def test_qualified_paths_canonicalize_their_function_part() -> None:
    assert canonicalize("tally|counts.js") == "tally|counts:default"
    assert split_component("a/b|m:f") == ("a/b", "m:f")
    assert split_component("m:f") == ("", "m:f")
    with pytest.raises(InvalidFunctionPath):
        canonicalize("bad-name|m:f")


def test_namespaces_name_a_components_tables_apart() -> None:
    tally = TableNamespace("tally")
    assert tally.engine_name("counts") == "tally/counts"
    assert tally.engine_name("_storage") == "tally/_storage"  # its own system tables
    assert tally.user_name("tally/_storage") == "_storage" and not ROOT.owns("tally/_storage")
    assert ROOT.engine_name("counts") == "counts"
    assert tally.user_name("tally/counts") == "counts"
    assert tally.user_name("counts") is None and ROOT.user_name("tally/counts") is None
    assert not TableNamespace("tally").owns("tally/inner/counts")
    assert namespace_of_function("tally|counts:add") == tally
    assert namespace_of_function("counts:add") == ROOT


def test_calls_into_descendants_are_the_ones_limited_to_exports() -> None:
    assert below("tally", "") and below("pool/batchWorker", "pool")
    assert not below("", "pool") and not below("pool", "pool")
    assert not below("poolx/a", "pool") and not below("other", "pool")
