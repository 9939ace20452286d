"""cli package: the ``claimwatch`` command, the demo and replay; the top layer."""
