"""The reconcile decision of a SeedRun, split by phase (CloudNativePG's ``cluster_create.go``,
``cluster_delete.go``, ``cluster_status.go``): ``flow`` (``decide``: which phase applies),
``admission`` (profile, window, Leases, queue), ``stages`` (preflight, batches, report, dry run),
``cancel``, ``delete`` (``decide_delete``) and ``state`` (what a pass sees and plans). Pure: no
cluster client, no kopf (import-linter checks it).
"""

from seed_operator.reconcile.delete import DeletePlan, Deleting, decide_delete, lease_names_of
from seed_operator.reconcile.flow import decide
from seed_operator.reconcile.state import JobFailed, Observed, Plan, leases_held_after

__all__ = [
    "DeletePlan",
    "Deleting",
    "JobFailed",
    "Observed",
    "Plan",
    "decide",
    "decide_delete",
    "lease_names_of",
    "leases_held_after",
]
