"""Webhooks: what happens in a place, posted to the systems its administrators register."""
