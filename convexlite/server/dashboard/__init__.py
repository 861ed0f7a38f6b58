"""The built-in dashboard: a small single-page app served under `/dashboard` (docs/dashboard.md).

Its pages are static files (`static/`, plain JavaScript modules, no build step) that talk to
the deployment exactly as the official dashboard does: `ConvexClient` with `setAdminAuth`
over the sync WebSocket for the `_system/frontend/*` functions, and `fetch` with
`Authorization: Convex <key>` for the HTTP endpoints. The server side only serves the files
and exchanges a one-time login token (`login.py`) for the admin key.
"""
