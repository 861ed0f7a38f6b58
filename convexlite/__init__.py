"""convexlite."""
