"""Settings for the test suite: the real settings, with data and keys in a fresh temporary folder.

`DATABASE_URL` chooses the database as in production (unset: SQLite), so the same suite runs on both.
"""

import os
import tempfile
from pathlib import Path

_root = tempfile.mkdtemp(prefix="strongroom-test-")
os.environ.setdefault("STRONGROOM_DATA_DIR", str(Path(_root) / "data"))
os.environ.setdefault("STRONGROOM_KEY_DIR", str(Path(_root) / "keys"))
os.environ["STRONGROOM_ENV"] = "development"
# The test client speaks plain HTTP; TLS itself is tested against the real server (tests/test_transport.py).
os.environ.setdefault("STRONGROOM_TLS", "off")

from strongroom.settings import *  # noqa: E402, F403
from strongroom.settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Argon2 as in production, with the cost lowered so the suite's hundreds of sign-ups stay quick.
PASSWORD_HASHERS = ["strongroom.test_hashers.QuickArgon2PasswordHasher"]

from strongroom.settings import STATIC_ROOT  # noqa: E402

# `serve` fills it with collectstatic; tests serve static files from the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
