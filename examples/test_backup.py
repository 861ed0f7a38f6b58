"""The backup example restores every book with its author reference intact."""

from backup import backup_and_restore


async def test_backup_and_restore(tmp_path):
    restored = await backup_and_restore(tmp_path)
    assert restored == [
        {"title": "Dune", "author": "Frank Herbert"},
        {"title": "Kindred", "author": "Octavia E. Butler"},
    ]
