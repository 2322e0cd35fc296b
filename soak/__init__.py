"""`make soak`: three `inkstand serve` processes on one PostgreSQL database and one
Redis, behind nginx, with an RQ worker, shown to be one site under load and faults.

Every service here is the soak's own (a PostgreSQL cluster and a Redis on free ports
in a temporary folder), so restarting and stopping them touches nobody else's.
"""
