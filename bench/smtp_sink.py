"""A local SMTP server that accepts every mail and counts it, nothing else.

It runs in a process of its own (`Sink`), so that it does not share a GIL
with the process that measures; the count lives in shared memory that only
the sink writes and the benchmark reads.
"""

import asyncio
import multiprocessing
from typing import Any


class CountingHandler:
    def __init__(self, count: Any) -> None:
        self.count = count

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.count.value += 1
        return "250 OK"


def serve(port: int, count: Any, ready: Any) -> None:
    from aiosmtpd.smtp import SMTP

    async def run() -> None:
        loop = asyncio.get_running_loop()
        handler = CountingHandler(count)
        server = await loop.create_server(
            # A fixed host name: the default asks DNS for this machine's.
            lambda: SMTP(handler, hostname="bench-sink"),
            host="127.0.0.1",
            port=port,
            backlog=128,
        )
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(run())


class Sink:
    """The sink on `port`, started by `start()` and ended by `stop()`."""

    def __init__(self, port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = port
        # Written by the sink alone: one writer needs no lock.
        self._count: Any = context.Value("q", 0, lock=False)
        self._ready = context.Event()
        self._process = context.Process(
            target=serve, args=(port, self._count, self._ready), daemon=True
        )

    @property
    def received(self) -> int:
        return int(self._count.value)

    def start(self) -> "Sink":
        self._process.start()
        if not self._ready.wait(timeout=30):
            self.stop()
            raise RuntimeError("The SMTP sink did not start within 30 s.")
        return self

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=10)
