"""The chat: one person's message in, chat items out.

`chat.service.ChatService` checks a message, answers slash commands (`chat/commands/`) and otherwise runs a turn of the
session's team (`agents/`) on its own thread (`chat.runner.TurnRun`), rendering the team's events into nested
`chat.messages.ChatItem`s (`chat.rendering`). Beside it: sessions, the saved conversation log, ticket decisions,
the visitors' limits and the runs of the plain-HTTP API.
"""
