"""The engine's lifecycle: background services start and stop with it."""

from __future__ import annotations

from convexlite import App, Backend, SyncBackend, v
from convexlite.config import Config


class Recorder:
    def __init__(self, events: list[str], name: str) -> None:
        self.events = events
        self.name = name

    def start(self) -> None:
        self.events.append(f"start {self.name}")

    def stop(self) -> None:
        self.events.append(f"stop {self.name}")


async def test_services_live_as_long_as_the_engine():
    events: list[str] = []
    backend = Backend(App())
    await backend.open()
    engine = backend.engine
    engine.add_service(Recorder(events, "a"))
    engine.add_service(Recorder(events, "b"))
    assert events == ["start a", "start b"]
    await backend.close()
    assert events == ["start a", "start b", "stop b", "stop a"]


def test_sync_backend_engine_runs_services_too():
    events: list[str] = []
    with SyncBackend(App()) as backend:
        backend.engine.add_service(Recorder(events, "s"))
        assert events == ["start s"]
    assert events == ["start s", "stop s"]


def test_explicit_arguments_win_over_config(tmp_path):
    config = Config(store_url="memory:", instance_name="from-config")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with SyncBackend(App(), url, config=config, instance_name="explicit") as backend:
        assert backend.config.store_url == url
        assert backend.config.instance_name == "explicit"
    with SyncBackend(App(), config=config) as backend:
        assert backend.config.store_url == "memory:"
        assert backend.config.instance_name == "from-config"


def test_an_injected_clock_stamps_commits():
    app = App()

    @app.mutation(name="notes:add", args={"body": v.string()})
    def add(ctx, args):
        return ctx.db.insert("notes", args)

    @app.query(name="notes:all")
    def all_notes(ctx, args):
        return ctx.db.query("notes").collect()

    now = [1_800_000_000_000_000_000]
    with SyncBackend(app, clock=lambda: now[0]) as backend:
        backend.mutation("notes:add", {"body": "a"})
        assert now[0] <= backend.engine.latest_ts < now[0] + 10
        now[0] += 5_000_000_000
        backend.mutation("notes:add", {"body": "b"})
        assert backend.engine.latest_ts == now[0]
        times = [doc["_creationTime"] for doc in backend.query("notes:all")]
        assert [round(t) for t in times] == [1_800_000_000_000, 1_800_000_005_000]
