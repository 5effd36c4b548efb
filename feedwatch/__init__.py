"""feedwatch: application-level liveness for long-lived streaming feeds."""

__version__ = "0.1.0"
