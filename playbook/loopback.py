"""Listening sockets for the servers the playbook starts (`playbook serve`, the fault proxy, the
OTLP receiver), and the background-thread lifecycle the last two share."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import Self

from playbook.errors import PlaybookError


def listen(host: str, port: int, remedy: str = "choose another --port or --host") -> socket.socket:
    """A bound listening socket (port 0: a free one); a port in use or a bad host is a
    PlaybookError that ends with `remedy`."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # the protocol named, not 0: asyncio sets TCP_NODELAY only on sockets whose proto is
        # IPPROTO_TCP, and without it a keep-alive client waits ~40 ms on every reply (Nagle
        # holding the body back for the delayed ACK of the headers)
        sock = socket.socket(info[0], socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
        sock.listen(128)
    except OSError as exc:
        raise PlaybookError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): {remedy}"
        ) from None
    return sock


class BackgroundServer:
    """An asyncio server on a loopback socket, served from a thread with its own event loop:
    `start()`, `stop()`, or a `with` block. Used by the fault proxy and the OTLP receiver, whose
    callers (notebook kernels, tests) already run a loop of their own or none at all.

    A subclass gives `_socket()` (its listening socket, with its own remedy for a port in use)
    and `_accept()` (one connection); it may extend `_open()` and `_close()`.
    """

    description = "the server"  # as an error names it: "<description> did not start"
    thread_name = "loopback-server"

    def __init__(self) -> None:
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None

    def _socket(self) -> socket.socket:
        raise NotImplementedError

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def start(self, timeout_s: float = 10.0) -> Self:
        """Listen on the loopback port (0: a free one) and serve from a background thread."""
        if self._thread is not None:
            return self
        sock = self._socket()
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open(sock))
            except BaseException as exc:  # reported to start() below
                failure.append(exc)
                sock.close()
                loop.close()
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self._thread = threading.Thread(
            target=run, name=f"{self.thread_name}-{self.port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout_s) or failure:
            self.stop()
            raise RuntimeError(f"{self.description} did not start: {failure[0] if failure else ''}")
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving, drop open connections, free the port and wait for the thread (at most
        `timeout_s`)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has already stopped
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout_s)
        self._thread = None
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _open(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_server(self._accept, sock=sock)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        # Every task, not only the connections being served: one accepted just before the stop
        # has not started yet, and a task never run leaves its coroutine un-awaited.
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
