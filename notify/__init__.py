"""Delivery channels for alerts: signed webhooks and Apprise, with the payload and the
human renderings they send (pure), and the subscriber filters."""
