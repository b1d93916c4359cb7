import os
import tempfile

import pytest

# One cache for the whole test session: converted tokenizers are reused across tests, never the user's.
_CACHE = os.environ.get("TOKFORENSICS_TEST_CACHE") or tempfile.mkdtemp(prefix="tokforensics-test-cache-")
os.environ["TOKFORENSICS_CACHE"] = _CACHE


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache directory for tests that inspect what gets written."""
    d = tmp_path / "cache"
    monkeypatch.setenv("TOKFORENSICS_CACHE", str(d))
    return d
