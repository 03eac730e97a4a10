"""Watchlists, price/indicator alerts, notifications (with webhook delivery) and scheduled briefs.

A domain package: it returns data (frozen dataclasses), never chat items, and never trades. Everything
is stored per workspace (`Session.workspace_id`) in one SQLite file in DATA_DIR (alerts.store).
"""
