"""The scheduler: scheduled functions and cron jobs run in the background (design.md floor 7)."""
