"""The load of a crash trial: clients that write to `convexlite serve` until it dies, each
keeping what it was told (acknowledged) apart from what it never heard back about (unknown).

Writers call the public HTTP API (`POST /api/mutation`, what the official HTTP clients send);
the pusher replays the CLI's own `start_push` body with a new version, as the CLI pushes;
the importer runs the real CLI (`npx convex import --replace`). A client stops at its first
request without an answer: the server is gone, the outcome is unknown.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

VERSION_MARKER = "crash-version:"
ABSENT = None
"""The state of a pair that is not in the store."""

State = float | None


class Gone(Exception):
    """The request got no answer: the server died (or was never there)."""


def call(client: httpx.Client, kind: str, path: str, args: dict[str, Any]) -> Any:
    """A function's value; `Gone` without an answer, RuntimeError for an error answer."""
    try:
        answer = client.post(f"/api/{kind}", json={"path": path, "args": args, "format": "json"})
    except httpx.TransportError as exc:
        raise Gone(str(exc)) from exc
    if answer.status_code >= 500 and not answer.headers.get("content-type", "").startswith(
        "application/json"
    ):
        raise Gone(f"{answer.status_code} {answer.text[:200]}")
    body = answer.json()
    if body.get("status") != "success":
        raise RuntimeError(f"{path} failed: {body}")
    return body["value"]


@dataclass
class Pairs:
    """What the writers were told about each pair token: the states the store may hold.
    One state once acknowledged; two while an operation's outcome is unknown."""

    allowed: dict[str, set[State]] = field(default_factory=dict)
    writer: dict[str, str] = field(default_factory=dict)
    pending: dict[str, State] = field(default_factory=dict)
    """The state each operation without an answer would have left."""
    acknowledged: int = 0
    unknown: int = 0
    unknown_applied: int = 0
    errors: list[str] = field(default_factory=list)
    max_creation_time: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def live(self, writer: str) -> list[str]:
        """The writer's tokens surely present (candidates to update or remove)."""
        with self.lock:
            return [
                t
                for t, states in self.allowed.items()
                if self.writer[t] == writer and ABSENT not in states and len(states) == 1
            ]

    def settle(self, token: str, observed: State) -> None:
        """After a restart the store says which of the allowed states it kept."""
        self.allowed[token] = {observed}
        if token in self.pending and self.pending.pop(token) == observed:
            self.unknown_applied += 1


@dataclass
class Jobs:
    """Tokens of `schedule` calls: acknowledged (the job must run once) or unknown."""

    acknowledged: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Pushes:
    """Versions pushed: `live` is the last acknowledged one; `unknown` were in flight."""

    live: int = 0
    unknown: set[int] = field(default_factory=set)
    done: int = 0
    next: int = 1
    in_flight: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)
    """Pushes the server refused or failed while it was up."""


@dataclass
class Imports:
    """Import batches (each replacing `imported` with `sizes[batch]` documents)."""

    live: int | None = None
    unknown: set[int] = field(default_factory=set)
    sizes: dict[int, int] = field(default_factory=dict)
    done: int = 0
    next: int = 1
    in_flight: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)
    """Imports that failed while the server was up."""


@dataclass
class Records:
    """Everything the clients were told, across all trials of a run."""

    pairs: Pairs = field(default_factory=Pairs)
    jobs: Jobs = field(default_factory=Jobs)
    pushes: Pushes = field(default_factory=Pushes)
    imports: Imports = field(default_factory=Imports)
    scheduled: threading.Event = field(default_factory=threading.Event)


def writer(url: str, name: str, pairs: Pairs, rng: random.Random, stop: threading.Event) -> None:
    """Insert, update and remove this writer's pairs until `stop` or the server dies."""
    seq = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            live = pairs.live(name)
            roll = rng.random()
            if roll < 0.6 or not live:
                seq += 1
                token, value = f"{name}.{seq}", float(rng.randrange(1000))
                args: dict[str, Any] = {"token": token, "writer": name, "seq": seq, "value": value}
                path, new = "crash:write", value
                with pairs.lock:
                    pairs.writer[token] = name
                    pairs.allowed[token] = {ABSENT}
            elif roll < 0.85:
                token, new = rng.choice(live), float(rng.randrange(1000))
                path, args = "crash:update", {"token": token, "value": new}
            else:
                token, new = rng.choice(live), ABSENT
                path, args = "crash:remove", {"token": token}
            with pairs.lock:
                before = set(pairs.allowed[token])
                pairs.allowed[token] = before | {new}
            try:
                value = call(client, "mutation", path, args)
            except Gone:
                with pairs.lock:
                    pairs.unknown += 1
                    pairs.pending[token] = new
                return
            except RuntimeError as exc:
                with pairs.lock:
                    pairs.errors.append(str(exc))
                    pairs.allowed[token] = before
                continue
            with pairs.lock:
                pairs.allowed[token] = {new}
                pairs.acknowledged += 1
                if path == "crash:write":
                    pairs.max_creation_time = max(pairs.max_creation_time, float(value))


def scheduler_client(
    url: str, records: Records, prefix: str, rng: random.Random, stop: threading.Event
) -> None:
    """Schedule `crash:ran` with short delays (some fall due while the server dies)."""
    jobs = records.jobs
    with httpx.Client(base_url=url, timeout=30) as client:
        for n in range(1, 1_000_000):
            if stop.is_set():
                return
            token = f"{prefix}.job{n}"
            with jobs.lock:
                jobs.unknown.add(token)
            try:
                call(
                    client,
                    "mutation",
                    "crash:schedule",
                    {"token": token, "delayMs": rng.choice((0, 0, 50, 300, 1500))},
                )
            except Gone:
                return
            with jobs.lock:
                jobs.unknown.discard(token)
                jobs.acknowledged.add(token)
            records.scheduled.set()
            time.sleep(rng.uniform(0, 0.05))


def versioned(body: dict[str, Any], version: int) -> dict[str, Any]:
    """The CLI's `start_push` body with the version marker of crash.js set to `version`."""
    copy: dict[str, Any] = json.loads(json.dumps(body))
    [module] = [m for m in copy["appDefinition"]["changedModules"] if m["path"] == "crash.js"]
    marker = f"{VERSION_MARKER}0"
    assert module["source"].count(marker) == 1, "the bundle of crash.js changed shape"
    module["source"] = module["source"].replace(marker, f"{VERSION_MARKER}{version}")
    return copy


def pusher(
    url: str,
    key: str,
    body: dict[str, Any],
    pushes: Pushes,
    push: Callable[[httpx.Client, str, dict[str, Any]], Any],
    stop: threading.Event,
) -> None:
    """Push new versions one after another until `stop` or the server dies."""
    with httpx.Client(base_url=url, timeout=120) as client:
        while not stop.is_set():
            version = pushes.next
            pushes.next += 1
            pushes.unknown.add(version)
            pushes.in_flight.set()
            try:
                push(client, key, versioned(body, version))
            except httpx.TransportError:
                return  # the outcome stays unknown
            except (AssertionError, ValueError) as exc:
                pushes.errors.append(f"push {version}: {str(exc)[:300]}")
                return
            finally:
                pushes.in_flight.clear()
            pushes.unknown.discard(version)
            pushes.live, pushes.done = version, pushes.done + 1


def importer(
    cli: Callable[..., subprocess.Popen[str]],
    alive: Callable[[], bool],
    tmp: Path,
    imports: Imports,
    rng: random.Random,
    stop: threading.Event,
) -> None:
    """Replace `imported` by snapshot imports of a few thousand documents (more than one
    of the importer's batches) through `npx convex import`, until `stop` or a failure.
    A failure while the server still answers is an error, not an unknown outcome."""
    while not stop.is_set():
        batch = imports.next
        imports.next += 1
        size = rng.randrange(2_000, 12_000)
        imports.sizes[batch] = size
        source = tmp / f"import-{batch}.jsonl"
        source.write_text("".join(json.dumps({"batch": batch, "n": n}) + "\n" for n in range(size)))
        imports.unknown.add(batch)
        imports.in_flight.set()
        process = cli("import", "--table", "imported", "--replace", "-y", str(source))
        try:
            while process.poll() is None and not stop.is_set():
                time.sleep(0.05)
            if process.poll() is None:
                process.kill()
            code = process.wait()
        finally:
            imports.in_flight.clear()
            source.unlink()
        if code != 0:
            if not stop.is_set() and alive():
                output = process.stdout.read() if process.stdout else ""
                imports.errors.append(f"import {batch} failed ({code}): {output[-300:]}")
            return
        imports.unknown.discard(batch)
        imports.live, imports.done = batch, imports.done + 1
