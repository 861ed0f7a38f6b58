"""convexlite: the Convex backend as an embeddable Python library."""

from convexlite.backend import Backend, SyncBackend
from convexlite.errors import ConvexBackendError, ConvexError
from convexlite.functions.app import App
from convexlite.functions.live_queries import QueryResult, QuerySubscription
from convexlite.functions.schema import define_schema, define_table
from convexlite.functions.validators import v
from convexlite.projects import ProjectDeployError
from convexlite.values import COMMIT_TS, UNDEFINED, Int64

__all__ = [
    "COMMIT_TS",
    "UNDEFINED",
    "App",
    "Backend",
    "ConvexBackendError",
    "ConvexError",
    "Int64",
    "ProjectDeployError",
    "QueryResult",
    "QuerySubscription",
    "SyncBackend",
    "define_schema",
    "define_table",
    "v",
]
