"""`ocop-sync sandbox`: run every marketplace sandbox in the foreground."""

from __future__ import annotations

from pathlib import Path

import typer

from connectors.registry import REGISTRY
from sync.cli.app import app, console


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
    port: int = typer.Option(8701, "--port", help="First port; each marketplace takes the next."),
    rate_limit: float | None = typer.Option(None, "--rate-limit", help="Requests/s per seller."),
    fault_rate: float = typer.Option(
        0.0, "--fault-rate", min=0.0, max=1.0, help="Share of faulty answers."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed for repeatable faults."),
    latency_ms: float = typer.Option(0.0, "--latency-ms", help="Added to every answer."),
    persist_dir: Path | None = typer.Option(
        None, "--persist-dir", help="Keep listings in files here."
    ),
) -> None:
    """Start every registered marketplace's sandbox and print their base URLs."""
    # Imported here: Starlette and uvicorn are no other command's (connectors.lazy).
    from connectors.sandbox import SandboxConfig, serve_forever

    apps = {}
    for offset, (name, connector) in enumerate(sorted(REGISTRY.items())):
        persist = persist_dir / f"{name}.json" if persist_dir else None
        if persist_dir:
            persist_dir.mkdir(parents=True, exist_ok=True)
        config = SandboxConfig(
            rate_limit=rate_limit,
            fault_rate=fault_rate,
            seed=seed,
            latency_ms=latency_ms,
            persist=persist,
        )
        apps[name] = (connector.sandbox_factory(config), port + offset)
        console.print(f"{name:10} http://{host}:{port + offset}", highlight=False)
    console.print("Ctrl-C to stop.")
    serve_forever(apps, host=host)
