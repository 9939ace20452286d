"""Storage: SQLModel tables, engine and sessions, the report.

Importing the package registers every table with SQLModel's metadata.
"""

from storage import models, sessions, subscriptions

__all__ = ["models", "sessions", "subscriptions"]
