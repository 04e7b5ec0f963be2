"""The one push engine: account leases, the push core, the run lifecycle.

Every way of running a sync — the inline streamed and whole-catalog drivers, reconcile, the
demo, the Celery tasks — goes through these modules; only the scheduling around them
differs.
"""
