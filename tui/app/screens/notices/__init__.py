"""The notification history screen."""
