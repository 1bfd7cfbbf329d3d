"""Live updates: the tailer turns new events into HTML fragments for each topic's sockets."""
