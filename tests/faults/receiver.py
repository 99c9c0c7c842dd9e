"""A remote inbox host for the fault tests, run as its own process (in a namespace or not):

    python -m tests.faults.receiver --bind 10.231.1.2 --port 8080 --record FILE [--delay 2]
    [--silent]

It writes one JSON line per POST to FILE as the request arrives (`{"path": …}`), then answers
202 after `--delay` seconds; `--silent` accepts connections and never answers. It writes
FILE.ready once it listens, and stops after `--lifetime` seconds whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from aiohttp import web


async def _serve(args: argparse.Namespace) -> None:
    record = Path(args.record).open("a", buffering=1)

    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        record.write(json.dumps({"path": request.path}) + "\n")
        if args.delay:
            await asyncio.sleep(args.delay)
        return web.Response(status=202)

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        record.write(json.dumps({"accepted": True}) + "\n")
        while await reader.read(65536):
            pass  # read the request, answer nothing
        writer.close()

    if args.silent:
        server = await asyncio.start_server(hold, args.bind, args.port)
        Path(args.record + ".ready").write_text("ready")
        async with server:
            await asyncio.sleep(args.lifetime)
        return
    app = web.Application()
    app.router.add_post("/{path:.*}", inbox)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.bind, args.port).start()
    Path(args.record + ".ready").write_text("ready")
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
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
