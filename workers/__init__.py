"""Celery workers: distributed push with retries, global rate limits, beat schedule."""
