"""Test-session setup shared by every folder.

pytest's importlib mode names test modules after their folders, so `gateway/tests/...` would make
the folder `gateway/` a namespace package called `gateway`, hiding the real package of that name.
Importing the real one first keeps the name taken.
"""

import gateway  # noqa: F401
