"""`"use node"` actions: pushed node modules run in Node.js processes convexlite supervises.

`nodejs` finds a Node.js 20+ on PATH; `packages` writes a push's node bundle to disk and
installs its external npm packages; `worker` is one executor process (`executor.mjs`)
and `pool` keeps warm ones; `runtime` runs one action (its syscalls served by the same
`ActionSyscalls` V8 actions use) and analyses modules at push time; `source` makes the
analysed actions `FunctionDefinition`s.
"""

from convexlite.node.analysis import NodeModuleAnalyzer
from convexlite.node.nodejs import NodeJs, find_node
from convexlite.node.runtime import NodeRuntime
from convexlite.node.source import NodeFunctionSource

__all__ = ["NodeFunctionSource", "NodeJs", "NodeModuleAnalyzer", "NodeRuntime", "find_node"]
