"""Live updates in the app: the signed-in socket, and the tailer each process runs."""
