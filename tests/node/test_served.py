"""Node actions across the life of a `convexlite serve`: refused without Node.js on its
PATH, stopped with it (no executor outlives the server), served again after a restart."""

from __future__ import annotations

from pathlib import Path

from node_harness import alive, serve, start_served


def test_a_push_without_node_on_path_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    deployment = serve(tmp_path, env={"PATH": str(empty)})
    try:
        done = deployment.cli("deploy", "-y", "--typecheck", "disable", check=False)
        output = done.stdout + done.stderr
        assert done.returncode != 0
        assert "NodeActionsNotSupported" in output, output
        assert "need Node.js 20 or newer" in output and "nodeActions.js" in output
    finally:
        deployment.served.stop()


def test_executors_stop_with_the_server_and_come_back_after_a_restart(tmp_path: Path) -> None:
    deployment = serve(tmp_path)
    try:
        deployment.cli("deploy", "-y", "--typecheck", "disable")
        pid = int(deployment.value("action", "nodeActions:pid"))
        assert alive(pid)
        assert deployment.secret is not None
        deployment.served.stop()
        assert not alive(pid)
        deployment.served = start_served(tmp_path, deployment.secret)
        assert deployment.value("action", "nodeActions:duration", {"text": "1h"}) == 3600000
    finally:
        deployment.served.stop()
