"""The outside world in: address guard, HTTP fetching, feed parsing, article extraction,
archive loading and a loopback fake feed. Pure library code (no database, no Celery).

Modules are imported individually (``from ingest.fetch import Fetcher``) so that importing
the light ones does not pay for trafilatura.
"""
