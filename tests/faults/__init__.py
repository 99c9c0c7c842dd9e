"""Fault tests: a real worker killed, an inbox flood, slow clients against a real node.

Every server binds 127.0.0.1; every process is stopped by the test that made it.
"""
