from seedlib.cli import entrypoint

entrypoint()
