"""How hard the fuzz suite tries: CI-sized by default, full size with `CLUSTERDECK_FUZZ_FULL=1`.

CI size keeps the whole of `tests/fuzz` under a minute on a shared 2-core machine. Full size runs
about ten times the examples (a few minutes). Examples are random on every run; a failure prints
the seed and a `@reproduce_failure` blob to replay it (`pytest --hypothesis-seed=N`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings

FULL = os.environ.get("CLUSTERDECK_FUZZ_FULL", "").lower() in {"1", "true", "yes"}

CI_TIMEOUT = 120
FULL_TIMEOUT = 1200
"""Seconds one fuzz test may take (pytest-timeout), at CI size and at full size."""

F = TypeVar("F", bound=Callable[..., Any])


def examples(ci: int, full: int | None = None) -> int:
    """`ci` examples, or `full` (default ten times as many) with CLUSTERDECK_FUZZ_FULL=1."""
    return (full if full is not None else 10 * ci) if FULL else ci


def fuzz(ci: int, full: int | None = None) -> Callable[[F], F]:
    """Hypothesis settings of a fuzz test (no deadline, no example database, a printed blob),
    and at full size a longer pytest timeout."""
    hypothesis_settings = settings(
        max_examples=examples(ci, full),
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )

    def apply(test: F) -> F:
        marked: F = pytest.mark.timeout(FULL_TIMEOUT if FULL else CI_TIMEOUT)(
            hypothesis_settings(test)
        )
        return marked

    return apply
