"""The names of the Celery queues: one for planning, one of pushes per account.

Each account's push batches have a queue of their own so that the workers take turns between
accounts: a worker asks Redis for the next message from all its queues at once, and after
taking one from a queue it moves that queue to the end of its list (kombu's round-robin
order). With a single push queue a run enqueued all its batches in front of the next
account's, and one slow account (image uploads at a low rate limit) held every pool process
for minutes while a 1 % price change of another account waited behind it.

Names only, no Celery: the metrics read the depth of these queues without loading Celery.
"""

from __future__ import annotations

from collections.abc import Iterable

PLAN_QUEUE = "ocop-plan"  # planning and triggers: small, never stuck behind a push backlog
PUSH_QUEUE = "ocop-push"  # batches of pushes: the prefix of the accounts' queues, and the
# queue of batches enqueued before the accounts had queues of their own (still consumed)


def push_queue(account: str) -> str:
    """The queue of one account's push batches."""
    return f"{PUSH_QUEUE}.{account}"


def push_queues(accounts: Iterable[str]) -> list[str]:
    """Every push queue a worker of these accounts consumes: theirs and the shared one."""
    return [PUSH_QUEUE, *(push_queue(name) for name in accounts)]


def expand(queues: str, accounts: Iterable[str]) -> str:
    """A worker's `--queues` with `ocop-push` standing for every account's push queue."""
    names: list[str] = []
    pushes = push_queues(accounts)  # once: `accounts` may be a generator
    for name in filter(None, (q.strip() for q in queues.split(","))):
        for queue in pushes if name == PUSH_QUEUE else [name]:
            if queue not in names:
                names.append(queue)
    return ",".join(names)
