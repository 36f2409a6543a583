"""Settings for the test suite: the real settings, plus a throwaway secret and a fast hasher.
Everything else (DATABASE_URL, REDIS_URL) still comes from the environment, as in production."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Enqueued tasks run synchronously when the transaction commits, so tests see their effect
# without a worker; the integration tests switch this off and start a real worker.
TASKS_SYNC = True
