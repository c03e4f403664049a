"""Test-session setup shared by every folder.

pytest's importlib mode names test modules after their folders, so `gateway/tests/...` would make
the folder `gateway/` a namespace package called `gateway`, hiding the real package of that name.
Importing the real one first keeps the name taken.
"""

import os

import gateway  # noqa: F401

# A sandbox app started by a test listens for SMTP on a port of the system's choosing, never on the
# fixed 8025 (tests and run modes go on side by side); a test that needs the sink sets its own port.
os.environ.setdefault("SANDBOX_SMTP_PORT", "0")
