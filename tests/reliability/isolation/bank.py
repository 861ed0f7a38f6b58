"""The bank invariant (Jepsen's bank test): transfers move money between accounts and never
overdraw one, so every read of all balances, at any snapshot, sums to the opening total
and shows no negative balance. A read that breaks it saw part of a transfer (a torn or
lost write), or a transfer ran on a stale balance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .list_append import Anomaly


def check(reads: Iterable[Mapping[str, int]], accounts: int, total: int) -> list[Anomaly]:
    """`reads` are the balances (account name → balance) of every read that completed."""
    found = []
    expected = {f"a{i}" for i in range(accounts)}
    for n, balances in enumerate(reads):
        where = f"read {n} {dict(balances)}"
        if set(balances) != expected:
            found.append(Anomaly("bank-accounts", f"{where}: accounts {sorted(expected)}"))
        elif sum(balances.values()) != total:
            found.append(Anomaly("bank-total", f"{where}: sums to {sum(balances.values())}"))
        if any(b < 0 for b in balances.values()):
            found.append(Anomaly("bank-negative", where))
    return found
