"""Fixtures shared by the integration tests."""

from tests.snapshots.conftest import save_screenshot  # noqa: F401 - fixture
