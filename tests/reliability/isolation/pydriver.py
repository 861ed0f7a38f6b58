"""Workload processes through the PyPI `convex` clients (the Rust WebSocket `ConvexClient`
and `ConvexHttpClient`), printing JSON records of operations as driver.mjs does.

Usage: python pydriver.py '<config JSON>' (the config driver.mjs takes).
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from convex import ConvexClient, ConvexError
from convex.http_client import ConvexHttpClient

LOST = ("connection", "timed out", "reset", "refused", "closed", "broken pipe", "aborted")
_print = threading.Lock()


def _emit(record: dict[str, Any]) -> None:
    with _print:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


def _operation(config: dict[str, Any], state: dict[str, int]) -> dict[str, Any]:
    roll = random.random()
    if roll < 0.6:
        epoch = int((time.time() * 1000 - config["start"]) // config["rotateMs"])
        mops: list[list[Any]] = []
        for _ in range(random.randint(1, 4)):
            key = f"k{epoch}-{random.randrange(config['keys'])}"
            if random.random() < 0.5:
                mops.append(["r", key, None])
            else:
                mops.append(["append", key, state["base"] + state["next"]])
                state["next"] += 1
        via = "mutation" if roll < 0.45 else "action"
        path = "la:txn" if via == "mutation" else "la:txnAction"
        token = f"{state['base'] + state['next']}"  # app.py: the Rust client may send twice
        state["next"] += 1
        args = {"mops": mops, "token": token}
        return {"workload": "la", "via": via, "mops": mops, "path": path, "args": args}
    if roll < 0.8:
        source = random.randrange(config["accounts"])
        target = (source + random.randrange(1, config["accounts"])) % config["accounts"]
        args = {"from": f"a{source}", "to": f"a{target}", "amount": float(random.randint(1, 5))}
        via = "mutation" if roll < 0.75 else "action"
        path = "bank:transfer" if via == "mutation" else "bank:transferAction"
        return {"workload": "bank", "f": "transfer", "via": via, "path": path, "args": args}
    return {"workload": "bank", "f": "read", "via": "query", "path": "bank:balances", "args": {}}


def _process(config: dict[str, Any], spec: dict[str, Any], pool: ThreadPoolExecutor) -> None:
    state = {"base": spec["id"] * 1_000_000, "next": 0, "generation": 0, "seq": 0}
    ws = spec["transport"] == "ws"
    client: Any = ConvexClient(config["url"]) if ws else ConvexHttpClient(config["url"])
    while time.time() * 1000 < config["deadline"]:
        record = _operation(config, state)
        path, args = record.pop("path"), record.pop("args")
        process = f"{spec['id']}.{state['generation']}"
        record |= {"op": f"{process}:{state['seq']}", "process": process}
        state["seq"] += 1
        invoked = time.time_ns()
        _emit(record | {"type": "invoke", "invoked": invoked})
        error = None
        try:
            value = pool.submit(getattr(client, record["via"]), path, args).result(
                config["timeoutMs"] / 1000
            )
            kind = "ok"
        except ConvexError as exc:
            kind, error = "convexError", str(exc)
        except FutureTimeout:
            kind, error = "lost", "timed out"
        except Exception as exc:  # what the clients raise for everything else
            error = f"{type(exc).__name__}: {exc}"[:300]
            kind = "lost" if any(word in error.lower() for word in LOST) else "error"
        if kind == "lost":
            time.sleep(0.1)  # the server may be down: do not spin
            state["generation"] += 1
        completed = None if kind == "lost" else time.time_ns()
        record |= {
            "client": f"pypi-{spec['transport']}",
            "type": kind,
            "invoked": invoked,
            "completed": completed,
            "error": error,
        }
        if kind == "ok" and record["workload"] == "la":
            record["mops"] = value
        if kind == "ok" and record.get("f") == "read":
            record["balances"] = value
        _emit(record)


def main() -> None:
    config = json.loads(sys.argv[1])
    pool = ThreadPoolExecutor(max_workers=64)
    threads = [
        threading.Thread(target=_process, args=(config, spec, pool), daemon=True)
        for spec in config["processes"]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sys.stdout.flush()
    os._exit(0)  # calls stuck past their timeout must not hold the exit


if __name__ == "__main__":
    main()
