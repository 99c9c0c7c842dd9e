"""Fault tests: real processes killed, a PostgreSQL restarted, hosts in network namespaces.

Every server binds 127.0.0.1 or an address inside a namespace the test made; every process,
namespace and cluster is removed by the test that made it.
"""
