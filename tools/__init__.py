"""smolagents Tools: thin, typed wrappers the agents call."""
