"""The search example: relevance order within a folder, a live search that picks up a new
matching note, and the nearest notes by embedding."""

from search import tour


async def test_search_tour():
    seen = await tour()
    assert seen["work notes about coff…"] == [
        "Coffee with Ada on Friday",
        "Quarterly report for the coffee roaster",
    ]
    assert seen["after a new coffee note"][0] == "Coffee tasting notes"
    assert len(seen["after a new coffee note"]) == 3
    assert seen["nearest a work-ish coffee embedding"] == [
        "Coffee tasting notes",
        "Coffee with Ada on Friday",
    ]
