"""The 127.0.0.1 stand-ins moved to the `standins` package; these modules are aliases of its modules."""

from standins import LocalServer  # noqa: F401
