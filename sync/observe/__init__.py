"""Observability: logs with each run's identity (logs.py), Prometheus metrics (metrics.py)."""
