"""Pure decisions with unit tests of their own: admission, the batch plan, the checkpoint verdict,
budget arithmetic, and how a run's writers' errors are reported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from seedlib.errors import InvalidInputError, LimitExceededError, Reason
from seedlib.generator import GENERATOR_VERSION, entity_counts
from seedlib.rules.admission import DatasetFacts, admit
from seedlib.rules.batches import BatchSpec, parse_batch_id, plan_batches
from seedlib.rules.budget import budget_usage, check_budget, estimated_cost, rate_limit_usage
from seedlib.rules.checkpoints import Verdict, checkpoint_verdict
from seedlib.runs.batchloop import first_error
from tests.support import spec_of

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def facts(spec, dataset: str = "baseline", **changes) -> DatasetFacts:
    base = {
        "dataset": dataset,
        "reference_datetime": spec.reference_instant,
        "salt_version": spec.salt_version,
        "profile_version": spec.version,
        "generator_version": GENERATOR_VERSION,
        "expires_at": NOW + dt.timedelta(days=30),
    }
    return DatasetFacts(**(base | changes))


def test_admit_a_new_dataset_resumes_a_baseline_and_purges_a_carga():
    spec = spec_of("dev/tenant-a")
    assert admit(spec, [], NOW) == admit(spec, [facts(spec, "carga")], NOW)
    assert admit(spec, [], NOW).resumes is None and admit(spec, [], NOW).purge_first is None
    baseline = facts(spec)
    assert admit(spec, [baseline], NOW).resumes == baseline
    carga = spec_of("dev/tenant-a", mode="carga")
    old = facts(carga, "carga")
    assert admit(carga, [old], NOW).purge_first == old


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"salt_version": "v9"}, Reason.SALT_DRIFT),
        ({"reference_datetime": NOW}, Reason.REFERENCE_DRIFT),
        ({"profile_version": "9.9.9"}, Reason.VERSION_DRIFT),
        ({"generator_version": "0"}, Reason.VERSION_DRIFT),
    ],
)
def test_admit_refuses_a_drifted_baseline(change, reason):
    spec = spec_of("dev/tenant-a")
    with pytest.raises(InvalidInputError) as refused:
        admit(spec, [facts(spec, **change)], NOW)
    assert refused.value.reason is reason


def test_admit_refuses_every_run_while_an_expired_carga_is_present():
    spec = spec_of("dev/tenant-a")
    expired = facts(spec, "carga", expires_at=NOW - dt.timedelta(seconds=1))
    with pytest.raises(InvalidInputError) as refused:
        admit(spec, [expired], NOW)
    assert refused.value.reason is Reason.PURGE_OVERDUE


def test_plan_batches_covers_every_row_once_in_level_order():
    counts = entity_counts(spec_of("dev/tenant-a"))
    for rows in (1, 7, 300, 400, 50_000):
        plan = plan_batches(counts, rows)
        assert plan == sorted(plan)
        for table, count in counts.items():
            ranges = [(b.start, b.stop) for b in plan if b.table == table]
            assert sum(stop - start for start, stop in ranges) == count
            assert all(b.rows <= rows for b in plan)
        assert all(parse_batch_id(b.id) == (b.table, b.start, b.stop) for b in plan)
    with pytest.raises(ValueError, match="at least 1"):
        plan_batches(counts, 0)


def test_the_plan_depends_on_the_batch_size_so_ids_do_not_match_across_sizes():
    counts = entity_counts(spec_of("dev/tenant-a"))
    assert {b.id for b in plan_batches(counts, 300)} != {b.id for b in plan_batches(counts, 400)}


@dataclass(frozen=True)
class Stored:
    stop_row: int
    sha256: str


def test_checkpoint_verdict_writes_skips_or_refuses():
    batch = BatchSpec(1, "customers", 0, 100)
    assert checkpoint_verdict(batch, "ab" * 32, None) is Verdict.WRITE
    assert checkpoint_verdict(batch, "ab" * 32, Stored(100, "ab" * 32)) is Verdict.SKIP
    for stored in (Stored(100, "cd" * 32), Stored(300, "ab" * 32)):
        with pytest.raises(InvalidInputError) as refused:
            checkpoint_verdict(batch, "ab" * 32, stored)
        assert refused.value.reason is Reason.DETERMINISM_VIOLATION
        assert "customers:0-100" in refused.value.message


def test_budget_estimate_cap_and_usage():
    spec = spec_of("dev/tenant-a")
    assert estimated_cost(1_000_000, Decimal("0.50")) == Decimal("0.50")
    assert estimated_cost(1, Decimal("0.50")) == Decimal("0.00")
    cap = spec.budget.cost_cap
    assert check_budget(spec, 0, Decimal("0.50")) == cap
    too_many = int(cap / Decimal("0.50") * 1_000_000) + 100_000
    with pytest.raises(LimitExceededError) as refused:
        check_budget(spec, too_many, Decimal("0.50"))
    assert refused.value.reason is Reason.BUDGET_EXHAUSTED
    usage = budget_usage(spec, 2_000_000, Decimal("0.50"), 1, 4)
    assert usage["estimatedCostBrl"] == "1.00" and usage["failedBatchesPct"] == 25.0
    assert usage["costUsedPct"] == float(round(Decimal("1.00") / cap * 100, 2))


def test_rate_limit_usage_is_the_peak_of_commits_in_any_window():
    spec = spec_of("dev/tenant-a")
    window = dt.timedelta(seconds=spec.rate_limit.window_seconds)
    stamps = [NOW, NOW + window / 4, NOW + window / 2, NOW + window * 3]
    usage = rate_limit_usage(spec, 5, stamps)
    assert usage["peakPerWindow"] == 3 and usage["batches"] == 5
    assert usage["utilisationPct"] == round(100 * 3 / spec.rate_limit.limit, 2)
    assert rate_limit_usage(spec, 0, [])["peakPerWindow"] == 0


def test_a_failed_run_raises_its_first_writer_error_and_keeps_the_others():
    first, second = RuntimeError("writer 0 failed"), ValueError("writer 1 failed")
    raised = first_error([first, second])
    assert raised is first
    assert any("ValueError: writer 1 failed" in note for note in raised.__notes__)
