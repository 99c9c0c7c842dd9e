"""A remote inbox host for the fault tests, run as its own process:

    python -m tests.faults.receiver --bind 127.0.0.1 --port 8080 --record FILE [--delay 2]

It writes one JSON line per POST to FILE as the request arrives (`{"path": …}`), then answers
202 after `--delay` seconds. With `--silent` it speaks no HTTP: it accepts each connection,
reads whatever comes and never answers, writing `{"event": "accepted"}` and, once the client
gives up, `{"event": "closed"}`. It writes FILE.ready once it listens, and stops after
`--lifetime` seconds whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TextIO

from aiohttp import web


def _ready(record: str) -> None:
    Path(record + ".ready").write_text("ready")


async def _serve_silently(args: argparse.Namespace, record: TextIO) -> None:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        record.write(json.dumps({"event": "accepted"}) + "\n")
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
        finally:
            record.write(json.dumps({"event": "closed"}) + "\n")
            writer.close()

    server = await asyncio.start_server(hold, args.bind, args.port)
    _ready(args.record)
    try:
        await asyncio.sleep(args.lifetime)
    finally:
        server.close()


async def _serve(args: argparse.Namespace, record: TextIO) -> None:
    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        record.write(json.dumps({"path": request.path}) + "\n")
        if args.delay:
            await asyncio.sleep(args.delay)
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/{path:.*}", inbox)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.bind, args.port).start()
    _ready(args.record)
    try:
        await asyncio.sleep(args.lifetime)
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--silent", action="store_true")
    parser.add_argument("--lifetime", type=float, default=300.0)
    args = parser.parse_args()
    with Path(args.record).open("a", buffering=1) as record:
        asyncio.run((_serve_silently if args.silent else _serve)(args, record))


if __name__ == "__main__":
    main()
