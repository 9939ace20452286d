"""Typed errors for the ingest layer.

Every error carries a short machine ``reason`` code (stable, safe to store on a feed or
article row and to count in metrics) plus a human ``message`` for operators. Callers catch
``IngestError`` (or a narrower subclass) and record ``err.reason`` / ``str(err)``.
"""

from __future__ import annotations

from datetime import datetime

TRANSIENT_FETCH_REASONS = frozenset(
    {"http_429", "http_503", "timeout", "connect_error", "network_error", "dns_error"}
)


class IngestError(Exception):
    """Base class: a ``reason`` code plus a human message."""

    def __init__(self, reason: str, message: str = "") -> None:
        self.reason = reason
        self.message = message or reason
        super().__init__(f"{reason}: {self.message}")

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly form for logs and status columns."""
        return {"reason": self.reason, "message": self.message}

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed (the input itself is not at fault)."""
        return False


class FetchError(IngestError):
    """An HTTP fetch failed; ``status`` and ``retry_after`` are set when known."""

    def __init__(
        self,
        reason: str,
        message: str = "",
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: datetime | None = None,
    ) -> None:
        super().__init__(reason, message)
        self.url = url
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Rate limits, overload, server errors, timeouts and network trouble pass."""
        return self.reason in TRANSIENT_FETCH_REASONS or (
            self.reason == "http_error" and (self.status or 0) >= 500
        )

    def as_dict(self) -> dict[str, object]:
        data = super().as_dict()
        data.update(
            url=self.url,
            status=self.status,
            retry_after=self.retry_after.isoformat() if self.retry_after else None,
        )
        return data


class BlockedAddress(FetchError):
    """The address guard refused a URL (private address, bad scheme, credentials)."""


class FeedError(IngestError):
    """A body could not be read as a feed; ``alternates`` lists feeds an HTML page links."""

    def __init__(self, reason: str, message: str = "", *, alternates: list[str] | None = None):
        super().__init__(reason, message)
        self.alternates = alternates or []


class ExtractionError(IngestError):
    """No usable article text could be extracted from a page."""


class ArchiveError(IngestError):
    """An archive (manifest folder or JSON Lines file) is malformed; ``line`` when known."""

    def __init__(self, reason: str, message: str = "", *, line: int | None = None) -> None:
        super().__init__(reason, message)
        self.line = line
