"""Names the operator and its manifests share: API group and version, kinds, plurals, label keys,
annotation prefixes and the finalizer.

Every handler, builder and generator takes these from here; no string literal of a group, plural,
label key or annotation key appears anywhere else (mysql-operator's ``controller/consts.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from seedlib.contract.profile import API_GROUP, API_VERSION

__all__ = [
    "API_GROUP",
    "API_VERSION",
    "CATEGORY",
    "FINALIZER",
    "JOB_API_VERSION",
    "JOB_GROUP",
    "JOB_KIND",
    "JOB_PLURAL",
    "JOB_VERSION",
    "LABEL_APP_NAME",
    "LABEL_BATCH",
    "LABEL_COMPONENT",
    "LABEL_ENVIRONMENT",
    "LABEL_JOB_NAME",
    "LABEL_MANAGED_BY",
    "LABEL_PART_OF",
    "LABEL_ROLE",
    "LABEL_RUN",
    "LABEL_RUN_UID",
    "LABEL_TABLE",
    "LABEL_TENANT",
    "LABEL_VERIFY_OF",
    "LEASE_API_VERSION",
    "LEASE_KIND",
    "MANAGED_BY",
    "OPERATOR_NAME",
    "PROFILE_KIND",
    "PROFILE_PLURAL",
    "PROFILE_SHORT_NAME",
    "RUN_KIND",
    "RUN_PLURAL",
    "RUN_SHORT_NAME",
    "VERSION",
]

VERSION: Final = API_VERSION.split("/", 1)[1]
CATEGORY: Final = "seeding"

PROFILE_KIND: Final = "SeedProfile"
PROFILE_PLURAL: Final = "seedprofiles"
PROFILE_SINGULAR: Final = "seedprofile"
PROFILE_SHORT_NAME: Final = "sprof"

RUN_KIND: Final = "SeedRun"
RUN_PLURAL: Final = "seedruns"
RUN_SINGULAR: Final = "seedrun"
RUN_SHORT_NAME: Final = "sr"

JOB_GROUP: Final = "batch"
JOB_VERSION: Final = "v1"
JOB_PLURAL: Final = "jobs"
JOB_API_VERSION: Final = f"{JOB_GROUP}/{JOB_VERSION}"
JOB_KIND: Final = "Job"
LEASE_API_VERSION: Final = "coordination.k8s.io/v1"
LEASE_KIND: Final = "Lease"

OPERATOR_NAME: Final = "seed-operator"
"""``app.kubernetes.io/name`` and ``managed-by`` of everything the operator creates."""

FINALIZER: Final = f"{API_GROUP}/finalizer"
"""Also the prefix of kopf's progress and diff-base annotations: ``{API_GROUP}/...``."""

LABEL_APP_NAME: Final = "app.kubernetes.io/name"
LABEL_COMPONENT: Final = "app.kubernetes.io/component"
LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
LABEL_PART_OF: Final = "app.kubernetes.io/part-of"
LABEL_JOB_NAME: Final = "job-name"
"""Set by the Job controller on a Job's Pods."""
MANAGED_BY: Final[Mapping[str, str]] = MappingProxyType({LABEL_MANAGED_BY: OPERATOR_NAME})
"""The labels (and selector) of the objects this operator owns: Jobs and Leases."""

LABEL_RUN: Final = f"{API_GROUP}/run"
LABEL_RUN_UID: Final = f"{API_GROUP}/run-uid"
LABEL_ROLE: Final = f"{API_GROUP}/role"
LABEL_TENANT: Final = f"{API_GROUP}/tenant"
"""On a Job: its run's tenant. On a namespace: the only tenant whose runs it may hold."""
LABEL_ENVIRONMENT: Final = f"{API_GROUP}/environment"
LABEL_TABLE: Final = f"{API_GROUP}/table"
LABEL_BATCH: Final = f"{API_GROUP}/batch"
LABEL_VERIFY_OF: Final = f"{API_GROUP}/verify-of"
"""On a verification SeedRun (``seed-verify``): the profile it verifies."""
