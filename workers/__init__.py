"""Celery workers: the same sync as the inline executor, spread over processes and machines.

- `workers.app`: the Celery app, configured from `Settings` (broker and results in Redis).
- `workers.tasks`: plan an account, push batches of operations, reconcile.
- `workers.ratelimit`: one rate budget per account shared by every worker (Redis).
- `workers.locks`: one run per account, one push per listing at a time.
- `workers.runs`: run progress and completion without chords.
- `workers.beat`: the schedule (incremental sync, nightly reconcile) and its guard.
"""
