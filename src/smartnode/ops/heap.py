"""The objects a process builds while it starts, set aside from the cyclic collector.

A node process holds about 300,000 objects once started (modules, routes, the ORM's mappings,
vocabularies, caches). CPython's full collection walks every one of them, about 100 ms each
time, and a busy process triggers one every few thousand requests or activities: measured on
`bench.inbox`, 13 % of a stored POST's time. Frozen once the process is ready (`gc.freeze`),
they are skipped by every later collection; what the process makes afterwards is collected as
before. Only a serving process's own entry point asks for it (`smartnode serve`, `smartnode
worker`): a process that builds many apps one after another, such as the test suite, would
keep each one's start-up objects for good.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect what start-up left behind, then move every surviving object to the permanent
    generation, which collections no longer walk."""
    gc.collect()
    gc.freeze()
