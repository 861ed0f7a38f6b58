"""The dashboard's Files page in a real headless Chromium against `convexlite serve`: upload
two files from the browser and see them listed, download the same bytes, preview an image and a
text file (markup as text), another client's upload appearing live, a deep link, the date
filter, delete (gone on the server), "Load more", a read-only key's disabled buttons
(`files_browser.mjs` does the steps)."""

from __future__ import annotations

from dashboard_harness import run_script
from served import Served

APP = """
from convexlite import App

app = App()

@app.mutation(name="files:uploadUrl")
def upload_url(ctx, args):
    return ctx.storage.generate_upload_url()
"""

STEPS = [
    "uploaded two files from the browser",
    "downloaded the same bytes",
    "previewed a text file as text",
    "previewed an image",
    "saw another client's upload live",
    "opened a file by its link",
    "filtered by date",
    "deleted the selected files",
    "loaded more",
    "a read-only key changes nothing",
    "no console errors, no request outside 127.0.0.1",
]


def test_the_files_page(served: Served, key: str, read_only_key: str) -> None:
    steps = run_script("files_browser.mjs", served.url, key, read_only_key)
    assert steps == STEPS
