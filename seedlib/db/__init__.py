"""PostgreSQL I/O: migrations, the embedded server, writer sessions, checkpointed batch loads.

Everything that talks to a database lives here; the generator and the plan stay pure.
"""
