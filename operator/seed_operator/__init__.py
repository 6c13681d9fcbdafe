"""seed_operator: the kopf operator that reconciles SeedRuns into batch Jobs.

It depends on ``seedlib`` for the contract, the plan and every decision that does not need a
cluster; ``seedlib`` never imports it.
"""

__all__: list[str] = []
