"""Names the operator and its manifests share: API group and version, kinds, plurals, labels.

Every handler, builder and generator takes these from here; no string literal of a group, plural,
label key or annotation key appears anywhere else.
"""

from __future__ import annotations

from typing import Final

from seedlib.contract.profile import API_GROUP, API_VERSION

__all__ = [
    "API_GROUP",
    "API_VERSION",
    "CATEGORY",
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
