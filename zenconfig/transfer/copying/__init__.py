"""The parts of ``zen storage copy`` (see ``zenconfig.transfer.copy``): the report
and its sample, the checkpoint and lock, a run's state, and the two paths
(``keys``: Redis to Redis through staging; ``stores``: the store contract)."""
