"""Search index structures (spec/platform.md §6), maintained from commits by `query/`."""
