"""Shared test settings.

In CI (``CI=true``) the optional torch reference must be installed (``.ci/run`` installs it), so
the comparisons against ``torch.distributions`` run instead of being skipped silently.  ``make test-oldest``
runs the library tests a second time on the oldest supported versions, where torch is not installed (the
comparisons already ran in the main run); it says so with ``TORCH_OPTIONAL=1``.
"""

import os

import matplotlib

matplotlib.use("Agg")  # tests never open windows


def pytest_sessionstart(session):
    if os.environ.get("CI") == "true" and os.environ.get("TORCH_OPTIONAL") != "1":
        try:
            import torch  # noqa: F401
        except ImportError as exc:  # pragma: no cover - only in a broken CI setup
            raise RuntimeError("CI=true but torch is not installed: `bash .ci/run` installs it") from exc
