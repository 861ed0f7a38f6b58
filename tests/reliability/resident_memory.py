"""Resident memory of another process, read from `/proc/<pid>/status`, and a sampler that
keeps its peak while a scenario runs."""

from __future__ import annotations

import threading


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class PeakRss:
    """`with PeakRss(pid) as peak:` samples every `every_s` until the block ends; `peak.mb`."""

    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        self.pid = pid
        self.every_s = every_s
        self.mb = rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.mb = max(self.mb, rss_mb(self.pid))
            except (OSError, RuntimeError):  # the process ended
                return
