"""Every reason has one exit code; exceptions cannot carry a reason of another category."""

from __future__ import annotations

import pytest

from seedlib.errors import (
    REASON_EXIT_CODES,
    DependencyUnavailableError,
    ExitCode,
    InvalidInputError,
    IsolationError,
    LimitExceededError,
    LockUnavailableError,
    Reason,
)

CATEGORIES = {
    ExitCode.INVALID: InvalidInputError,
    ExitCode.LOCKED: LockUnavailableError,
    ExitCode.UNAVAILABLE: DependencyUnavailableError,
    ExitCode.LIMITED: LimitExceededError,
    ExitCode.ISOLATION: IsolationError,
}


def test_exit_codes_are_the_documented_numbers():
    assert [int(c) for c in ExitCode] == [0, 2, 3, 4, 5, 6]


def test_every_reason_maps_to_an_exit_code():
    assert set(REASON_EXIT_CODES) == set(Reason)


@pytest.mark.parametrize("reason", list(Reason))
def test_reasons_are_camel_case_and_raise_with_their_code(reason):
    assert reason.value[0].isupper() and reason.value.isalnum()
    error = CATEGORIES[REASON_EXIT_CODES[reason]](reason, "boom", hint="do this")
    assert error.exit_code is REASON_EXIT_CODES[reason]
    assert str(error) == "boom (hint: do this)"


def test_a_reason_of_another_category_is_refused():
    with pytest.raises(TypeError, match="maps to 4"):
        InvalidInputError(Reason.VAULT_UNAVAILABLE, "wrong category")
