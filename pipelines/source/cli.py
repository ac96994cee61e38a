"""`rasad source serve`: the reference HTTP API over the configured SQL source (RASAD_SOURCE_URL)."""

from __future__ import annotations

import argparse


def cmd_source_serve(args: argparse.Namespace) -> int:
    """Serve the configured SQL source over the contract's HTTP API until interrupted."""
    from pipelines.settings import get_settings
    from pipelines.source.server import SourceServer
    from pipelines.store.engine import source_engine

    server = SourceServer(
        source_engine(get_settings()),
        args.host,
        args.port,
        fault_every=args.fault_every,
        fault_status=args.fault_status,
        retry_after_seconds=args.retry_after,
    )
    print(f"serving the Ombazar contract API on {server.url}/v1/<entity> (Ctrl-C stops)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


def register(subparsers) -> None:
    """Add `rasad source serve` to the CLI."""
    source = subparsers.add_parser("source", help="the Ombazar source")
    source_sub = source.add_subparsers(dest="source_command", required=True)
    serve = source_sub.add_parser("serve", help="serve the SQL source over the contract's HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--fault-every", type=int, default=0,
                       help="answer every N-th request with --fault-status (for testing clients)")
    serve.add_argument("--fault-status", type=int, choices=(429, 503), default=503)
    serve.add_argument("--retry-after", type=float, default=1, help="Retry-After seconds on injected faults")
    serve.set_defaults(func=cmd_source_serve)
