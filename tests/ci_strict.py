"""CI=true means nothing may skip: the hook below makes every skip a failure.

tests/conftest.py imports the hook (so the whole suite has it); tests/unit/test_ci_strict.py loads
this module alone as a plugin (`-p tests.ci_strict`) to check it.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
"""True under CI (`.ci/run` exports CI=true): a missing tool is a failure, not a skip."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """With CI=true a skip is a failure (an error when it happened in set-up): a missing tool
    must never pass CI as a skip. This covers every pytest.skip, skipif and importorskip, not
    only the guards that fail on their own with `IN_CI`."""
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped with CI=true, which counts as a failure: {reason}"
    return report
