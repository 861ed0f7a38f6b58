"""Loading a Convex project in-process: its TypeScript functions, called from Python.

    python examples/load_convex_project.py [path/to/project]

The project's own CLI (`node_modules/convex`, installed by `npm install`) bundles it
and pushes it to the embedded backend, as `npx convex deploy` pushes to a server.
"""

import asyncio
import sys
from pathlib import Path

from convexlite import Backend, ConvexError

PROJECT = Path(__file__).parent / "convex_project"


async def main(project: Path = PROJECT) -> None:
    async with Backend("memory:") as backend:  # or "sqlite:///tasks.db": the push is stored
        await backend.deploy(project)
        ada = {"subject": "ada"}
        task = await backend.mutation("tasks:add", {"text": "write docs"}, identity=ada)
        await backend.mutation("tasks:complete", {"id": task}, identity=ada)
        print("open:", await backend.action("tasks:addMany", {"texts": ["a", "b"]}, identity=ada))
        print("ada's tasks:", [t["text"] for t in await backend.query("tasks:mine", identity=ada)])
        try:
            await backend.query("tasks:mine")
        except ConvexError as err:
            print("anonymous:", err.data)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT))
