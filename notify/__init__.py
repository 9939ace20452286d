"""Delivery channels for alerts."""
