"""Agents: settings, model selection, the per-session team and the turn runner."""
