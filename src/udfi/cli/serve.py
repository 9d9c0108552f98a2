"""`udfi serve`: the local web page (udfi.web) — check a year, plan a purchase."""

from __future__ import annotations

import typer

from udfi.web.limits import UploadLimits


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; the default is this computer "
                                                              "only. Anything else exposes the page to the network."),
        port: int = typer.Option(8000, "--port", help="Port (0 picks a free one).", min=0, max=65535),
        max_upload_mb: float = typer.Option(UploadLimits.max_upload_bytes / 2**20, "--max-upload-mb",
                                            help="Largest upload accepted.", min=0.1),
        time_limit: float = typer.Option(UploadLimits.time_limit_seconds, "--time-limit",
                                         help="Seconds one upload may take to check (or to build its package).",
                                         min=1),
    ) -> None:
        """Serve the investor's page on this computer: check a year, plan a leveraged purchase."""
        from werkzeug.serving import make_server  # noqa: PLC0415

        from udfi.web.app import WebConfig, create_app, is_loopback  # noqa: PLC0415

        limits = UploadLimits(max_upload_bytes=int(max_upload_mb * 2**20), time_limit_seconds=time_limit)
        if not is_loopback(host):
            typer.echo(f"warning: listening on {host}: anyone who can reach this address can use the page and "
                       "upload to it; there is no login. Use the default 127.0.0.1 unless you mean it.", err=True)
        try:
            server = make_server(host, port, create_app(WebConfig(host=host, port=port, limits=limits)), threaded=True)
        except OSError as exc:
            typer.echo(f"error: cannot listen on {host}:{port} ({exc.strerror}); try another --port", err=True)
            raise typer.Exit(2) from exc
        import threading  # noqa: PLC0415

        from udfi.web.worker import prewarm  # noqa: PLC0415

        threading.Thread(target=prewarm, name="udfi-prewarm", daemon=True).start()
        shown = f"[{host}]" if ":" in host else host
        typer.echo(f"udfi is serving on http://{shown}:{server.server_port}/ — open it in your browser; "
                   "Ctrl+C stops it", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)
        finally:
            server.server_close()
