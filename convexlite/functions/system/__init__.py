"""System functions (`_system/cli/*`, `_system/frontend/*`): what the CLI and the dashboard ask a
deployment about itself, run as admin-only queries and mutations (spec/operator.md §3)."""
