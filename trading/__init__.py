"""Trading: brokers (Alpaca, built-in paper), the risk gate, order tickets and the per-session desk.

Nothing here runs at import. The entry point for the app is `trading.desk.Desks.for_workspace(workspace_id, user)`.
"""
