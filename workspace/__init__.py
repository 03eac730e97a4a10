"""Lasting workspaces: conversations and account data of a person, in SQLite under DATA_DIR.

`workspace.db` is the only module that knows the storage engine; `workspace.store` the
tables; `workspace.access` who opens which workspace; `workspace.backup` the optional
copy on the Hub.
"""
