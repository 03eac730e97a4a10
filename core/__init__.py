"""The neutral core every other package may import: settings, the user-facing error type, text helpers.

Nothing here imports another package of this project.
"""
