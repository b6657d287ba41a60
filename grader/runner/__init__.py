"""The runner: the code inside a sandbox container, standard library only (copied into the image).
supervisor.py takes the host's jobs (protocol.py) and drives zygotes.py's fork servers (child.py);
worker.py and batch.py watch each candidate process and limit it from outside (candidates.py)."""
