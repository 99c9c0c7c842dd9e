"""Fault tests: a real worker killed, PostgreSQL restarted under load, an inbox flood, slow
clients against a real node.

Every server binds 127.0.0.1; every process and cluster is removed by the test that made it.
"""
