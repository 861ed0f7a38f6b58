"""The inventory example: nested calls in one transaction, and a deployment applied live."""

from inventory import main


async def test_the_example_program_runs(tmp_path, capsys):
    await main(f"sqlite:///{tmp_path / 'inventory.db'}")
    out = capsys.readouterr().out
    assert "first order: {'left': 0.0, 'reserved': True}" in out
    assert "second order: {'left': 0.0, 'reserved': False}" in out
    assert "orders for lamp: [True, False]" in out
