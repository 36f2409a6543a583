"""Settings for the test suite: the real settings, plus a throwaway secret and a fast hasher.
Everything else (DATABASE_URL, REDIS_URL) still comes from the environment, as in production."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from config.settings import *  # noqa: E402,F403
from config.settings import env  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Enqueued tasks run synchronously when the transaction commits, so tests see their effect
# without a worker. A real worker started by the integration tests runs with TASKS_SYNC=0.
TASKS_SYNC = env.bool("TASKS_SYNC", default=True)
# The suite makes many API calls per minute from one address and user; the throttling tests set
# realistic rates themselves (tests/api/test_throttling.py).
API_THROTTLE_USER_RATE = env.str("API_THROTTLE_USER_RATE", default="100000/minute")
API_THROTTLE_ANON_RATE = env.str("API_THROTTLE_ANON_RATE", default="100000/minute")
