"""A fake Rescale platform: a real HTTP server on loopback that speaks the documented API v2."""

from tests.fake_rescale.server import API_KEY, FakeRescale, http_date, running_fake
from tests.fake_rescale.state import FakeJob

__all__ = ["API_KEY", "FakeJob", "FakeRescale", "http_date", "running_fake"]
