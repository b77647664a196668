"""A team's question-answering service over HTTP with an API shape of its own, for the tests.

Nothing here follows `playbook serve`: an API key in `X-Api-Key`, `{"q": ...}` in,
`{"result": {"text", "refs": [{"doc"}]}, "outcome"}` out, a history endpoint of its own
(`GET /api/history`), an admin re-index endpoint a team's ingest hook can call, and a JSON-lines log
whose fields are named `traceId` and `errorType`. Behind it is the tests' own hardened `TeamRag`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from playbook.sources import DataSource
from tests.gaps.team_rag import TeamRag


def team_app(service: TeamRag, keys: Mapping[str, str], log: Path) -> FastAPI:
    """The service: `keys` maps API keys to user ids."""
    app = FastAPI()
    history: dict[str, list[dict[str, str]]] = {}
    lock = threading.Lock()

    def caller(key: str | None) -> str | None:
        return keys.get(key or "")

    def write_log(entry: dict[str, Any]) -> None:
        with lock, log.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry) + "\n")

    @app.post("/api/query")
    async def query(request: Request, x_api_key: str | None = Header(None)) -> JSONResponse:
        user = caller(x_api_key)
        if user is None:
            return JSONResponse({"message": "invalid API key"}, status_code=401)
        body = await request.json()
        question = body.get("q") if isinstance(body, dict) else None
        if not isinstance(question, str):
            return JSONResponse({"message": "field q is required"}, status_code=400)
        reply = service.answer(question, user)
        trace = reply.get("trace_id") or uuid.uuid4().hex
        outcome = {"refused": "declined", "degraded": "partial"}.get(reply.get("status", ""), "ok")
        if reply.get("status") == "degraded":
            write_log({"traceId": trace, "errorType": "Degraded", "level": "error"})
        with lock:
            history.setdefault(user, []).append({"q": question, "a": reply["answer"]})
        return JSONResponse(
            {
                "result": {"text": reply["answer"], "refs": [{"doc": d} for d in reply["sources"]]},
                "outcome": outcome,
                "traceId": trace,
            }
        )

    @app.get("/api/history")
    async def own_history(x_api_key: str | None = Header(None)) -> JSONResponse:
        user = caller(x_api_key)
        if user is None:
            return JSONResponse({"message": "invalid API key"}, status_code=401)
        with lock:
            return JSONResponse({"items": list(history.get(user, []))})

    @app.post("/api/admin/groups")
    async def set_groups(request: Request) -> JSONResponse:
        body = await request.json()
        service.groups[body["user"]] = {"all-staff", *body["groups"]}
        return JSONResponse({"user": body["user"], "groups": sorted(body["groups"])})

    @app.post("/api/admin/reindex")
    async def reindex(request: Request) -> JSONResponse:
        body = await request.json()
        sources = [DataSource(**source) for source in body["sources"]]
        return JSONResponse(service.ingest(sources))

    return app


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` on a free loopback port from a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


HOOK_MODULE = '''
"""The team's ingest hook: asks its own service to re-index the folders it is given."""
import os

import httpx


def reingest(sources):
    reply = httpx.post(
        os.environ["TEAM_SERVICE_URL"] + "/api/admin/reindex",
        json={"sources": [source.model_dump() for source in sources]},
        timeout=30,
        trust_env=False,
    )
    reply.raise_for_status()
    return reply.json()


def set_groups(user, groups):
    reply = httpx.post(
        os.environ["TEAM_SERVICE_URL"] + "/api/admin/groups",
        json={"user": user, "groups": list(groups)},
        timeout=30,
        trust_env=False,
    )
    reply.raise_for_status()
'''
