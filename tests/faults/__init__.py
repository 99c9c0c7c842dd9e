"""Fault tests: real processes killed, a PostgreSQL cluster restarted under load.

Every server binds 127.0.0.1; every process and cluster is removed by the test that made it.
"""
