"""The scale-out load path: a locustfile for the engagement's target, and Locust run headless.

Locust is never imported here, nor anywhere in `playbook`: it monkey-patches the process with
gevent and hangs inside Jupyter kernels (locust #2098). It runs as `python -m locust` in
subprocesses (one, or a master and workers on 127.0.0.1), and its `*_stats.csv` is read back into
the rows of the load tables (`playbook.load.SUMMARY_COLUMNS`), beside the in-kernel generator's.

The locustfile is self-contained (Locust and the standard library; `jmespath` only for a response
path beyond `a.b[0].c`), so it can be copied to other machines and run as Locust's master and
workers there. Tokens are never written into it: it reads them from the environment variables the
engagement names (`target.http.auth.token_env`), or, for the reference system served by
`playbook serve`, from `PLAYBOOK_LOAD_TOKEN_<USER>` (the user id upper-cased, other characters
`_`: u-alice reads PLAYBOOK_LOAD_TOKEN_U_ALICE).

Users pace with Locust's `constant_pacing(load.wait_s)` rather than `constant`: the offered rate
stays users / wait_s while answers take less than wait_s, so a slowing target is not rewarded with
less load. Locust's users are still a closed loop (each waits for its answer); notebook 04's
open-model generator is the measurement of tail latency, this is the path to more load.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import importlib.util
import json
import math
import os
import pprint
import re
import socket
import string
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urlsplit

from playbook.atomic import write_text_atomic
from playbook.engagement import Engagement, HttpTarget, LoadSettings
from playbook.errors import PlaybookError
from playbook.golden import engagement_golden
from playbook.load import SUMMARY_COLUMNS
from playbook.loopback import listen
from playbook.targets.spec import parse_spec

LOCUSTFILE = "locustfile.py"
REFERENCE_HOST = "http://127.0.0.1:8080"  # where `playbook serve` listens by default
REFERENCE_PATH = "/v1/ask"
REFERENCE_TOKEN_PREFIX = "PLAYBOOK_LOAD_TOKEN_"
EXPECT_WORKERS_MAX_WAIT_S = 30  # a master gives up on workers that never connect after this
CPU_WARNING_MARKS = ("CPU usage above", "CPU usage was too high", "CPU usage threshold")
_AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class LocustPlan:
    """What a locustfile sends: where, which body, which token variables, which questions."""

    kind: Literal["http", "reference"]
    spec: str
    host: str  # scheme://host:port, Locust's --host
    path: str  # the request path (and query) posted to
    request: Any
    answer_path: str
    status_path: str | None
    answer_setting: str  # the engagement field that names the answer path, for failure reasons
    refused_hint: str = "check the token variables and the auth settings"  # after a 401 or 403
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    auth_query_param: str | None = None
    token_env: Mapping[str, str] = field(default_factory=dict)  # user -> environment variable
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 10.0
    wait_s: float = 1.0
    questions: tuple[tuple[str, str | None], ...] = ()

    @property
    def token_variables(self) -> list[str]:
        """The environment variables the locustfile reads tokens from, each once."""
        return sorted(set(self.token_env.values()))


def reference_token_variable(user: str) -> str:
    """The variable a reference-system locustfile reads `user`'s token from."""
    return REFERENCE_TOKEN_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", user).upper()


def normalise_host(url: str, source: str = "--host") -> str:
    """`scheme://host:port` of a base URL; anything else is a PlaybookError naming `source`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise PlaybookError(
            f"{source}: {url!r}: expected a base URL such as http://10.0.0.5:8080 "
            "(the request path comes from target.spec)"
        )
    return f"{parts.scheme}://{parts.netloc}"


def locust_plan(engagement: Engagement) -> LocustPlan:
    """What the engagement's locustfile sends; a python: target or no golden set is refused."""
    spec = parse_spec(engagement.target.spec)
    if spec.kind == "python":
        raise PlaybookError(
            f"{engagement.file}: field 'target.spec': {spec.text!r} is a Python callable and "
            "Locust drives HTTP: serve it over HTTP and set target.spec to its URL"
        )
    items, why = engagement_golden(engagement)
    if not items:
        raise PlaybookError(f"{why} (the load asks the golden questions)")
    questions = tuple((item.question, item.user) for item in items)
    if spec.kind == "reference":
        return _reference_plan(engagement, spec.text, questions)
    config = engagement.target.http or HttpTarget()
    parts = urlsplit(spec.value)
    if not parts.netloc:
        raise PlaybookError(
            f"{engagement.file}: field 'target.spec': {spec.text!r}: expected http://host:port/path"
        )
    auth = config.auth
    return LocustPlan(
        kind="http",
        spec=spec.text,
        host=f"{parts.scheme}://{parts.netloc}",
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        request=config.request,
        answer_path=config.response.answer,
        status_path=config.response.status,
        answer_setting="target.http.response.answer",
        auth_header=auth.header if auth else "Authorization",
        auth_scheme=auth.scheme if auth else "Bearer",
        auth_query_param=auth.query_param if auth else None,
        token_env=dict(auth.token_env) if auth else {},
        headers=dict(config.headers),
        timeout_s=config.timeout_s,
        wait_s=engagement.load.wait_s,
        questions=questions,
    )


def _reference_plan(
    engagement: Engagement, spec: str, questions: tuple[tuple[str, str | None], ...]
) -> LocustPlan:
    from playbook.users import UserDirectory

    users = (
        UserDirectory.load(engagement.resolve(engagement.users))
        if engagement.users
        else UserDirectory()
    )
    users_file = engagement.users or "the users file"
    askers = sorted({user for _, user in questions if user})
    token_env = {
        user: reference_token_variable(user)
        for user in askers
        if (known := users.get(user)) is not None and known.token
    }
    return LocustPlan(
        kind="reference",
        spec=spec,
        host=REFERENCE_HOST,
        path=REFERENCE_PATH,
        request={"question": "{question}"},
        answer_path="answer",
        status_path="status",
        answer_setting="the answer field of playbook serve",
        refused_hint=(
            f"playbook serve's production profile admits users with a token in {users_file}: "
            "give each asking user one (field 'users.N.token', demo only) and start it again"
        ),
        token_env=token_env,
        wait_s=engagement.load.wait_s,
        questions=questions,
    )


def reference_tokens(engagement: Engagement, plan: LocustPlan) -> dict[str, str]:
    """For a reference target: the variables of `plan` that the environment leaves unset, filled
    with the users file's demo tokens (the ones `playbook serve` of this engagement accepts)."""
    if plan.kind != "reference" or not engagement.users:
        return {}
    from playbook.users import UserDirectory

    users = UserDirectory.load(engagement.resolve(engagement.users))
    filled = {}
    for user, variable in plan.token_env.items():
        known = users.get(user)
        if not os.environ.get(variable) and known is not None and known.token:
            filled[variable] = known.token
    return filled


def tokenless_askers(plan: LocustPlan) -> list[str]:
    """For a reference target: the users who ask without a token in the users file (what
    `playbook serve`'s production profile refuses with a 401; its prototype answers them)."""
    if plan.kind != "reference":
        return []
    return sorted({user for _, user in plan.questions if user} - set(plan.token_env))


def missing_tokens(plan: LocustPlan, environ: Mapping[str, str] | None = None) -> list[str]:
    """The token variables of `plan` that are unset or empty in `environ` (default: ours)."""
    environ = os.environ if environ is None else environ
    return [variable for variable in plan.token_variables if not environ.get(variable)]


def write_locustfile(engagement: Engagement, path: Path) -> LocustPlan:
    """Write the engagement's self-contained locustfile to `path` (atomically); returns its plan."""
    plan = locust_plan(engagement)
    write_text_atomic(Path(path), render_locustfile(plan, engagement.name))
    return plan


def render_locustfile(plan: LocustPlan, name: str) -> str:
    """The locustfile's text for `plan` (valid Python; no token value in it)."""
    if plan.kind == "reference":
        start = (
            "Start the reference system first (it listens on 127.0.0.1:8080):\n"
            f"    playbook serve ENGAGEMENT_DIR --profile {plan.spec.split(':', 1)[1]}\n"
            "Each user's token is its `token` in the engagement's users file."
        )
    else:
        start = "Each user's token is the one the team's API issued to that user."
    holders = {
        variable: ", ".join(
            user for user, named in sorted(plan.token_env.items()) if named == variable
        )
        for variable in plan.token_variables
    }
    variables = "\n".join(f"    {variable}  ({users})" for variable, users in holders.items())
    values = {
        "name": name,
        "spec": plan.spec,
        "start": start,
        "variables": variables or "    (none: every question is asked anonymously)",
        "host": _literal(plan.host),
        "path": _literal(plan.path),
        "request": _literal(plan.request),
        "answer_path": _literal(plan.answer_path),
        "status_path": _literal(plan.status_path),
        "answer_setting": _literal(plan.answer_setting),
        "refused_hint": _literal(plan.refused_hint),
        "auth_header": _literal(plan.auth_header),
        "auth_scheme": _literal(plan.auth_scheme),
        "auth_query_param": _literal(plan.auth_query_param),
        "token_env": _literal(dict(plan.token_env)),
        "headers": _literal(dict(plan.headers)),
        "timeout_s": _literal(float(plan.timeout_s)),
        "wait_s": _literal(float(plan.wait_s)),
        "questions": _literal([list(pair) for pair in plan.questions]),
    }
    return string.Template(_LOCUSTFILE_TEMPLATE).substitute(values)


def _literal(value: Any) -> str:
    """A Python literal of JSON-like data (a round trip through JSON keeps it to those types)."""
    try:
        plain = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise PlaybookError(f"target.http.request: cannot write {value!r} ({exc})") from None
    return pprint.pformat(plain, width=96, sort_dicts=False)


def distributed_commands(
    locustfile: Path,
    host: str,
    settings: LoadSettings,
    csv_prefix: str = "load/run",
    stop_timeout_s: float = 0.0,
) -> tuple[str, str]:
    """The command for Locust's master machine and the one for each worker machine (see
    `run_locust` for `stop_timeout_s`)."""
    workers = str(settings.workers) if settings.workers else "N"
    master = (
        f"locust -f {locustfile} --master --headless -u {settings.users} "
        f"-r {settings.spawn_rate:g} -t {_run_time(settings)} --expect-workers {workers} "
        f"-H {host} --csv {csv_prefix} --only-summary "
        f"--stop-timeout {_stop_timeout(stop_timeout_s)}"
    )
    worker = f"locust -f {locustfile} --worker --master-host <master ip>"
    return master, worker


def _run_time(settings: LoadSettings) -> str:
    return f"{max(1, math.ceil(settings.run_time_s))}s"


def _stop_timeout(seconds: float) -> str:
    return f"{max(0, math.ceil(seconds))}s"


def check_reachable(host: str, hint: str = "", timeout_s: float = 3.0) -> None:
    """Raise a PlaybookError when nothing accepts a connection at `host` (scheme://host:port)."""
    parts = urlsplit(host)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PlaybookError(f"cannot reach {host} ({reason}){hint}") from None


def run_locust(
    locustfile: Path,
    host: str,
    settings: LoadSettings,
    csv_prefix: Path,
    timeout_s: float,
    *,
    env: Mapping[str, str] | None = None,
    stop_timeout_s: float = 0.0,
) -> list[dict[str, object]]:
    """Run Locust headless on `locustfile` against `host` and return its Aggregated statistics
    as a row of `SUMMARY_COLUMNS` (source "locust").

    One process, or with `settings.workers` a master and that many workers, all on 127.0.0.1,
    stdin closed; every process is killed after `timeout_s`. Locust's own files and logs go to
    `csv_prefix`_*; `env` adds environment variables (tokens) for the processes. The pacing
    (`settings.wait_s`) is the locustfile's, set when it was written. At the end of the run,
    a question in flight has `stop_timeout_s` (the locustfile's request timeout) to finish:
    Locust stops users at once otherwise, and a request the target received would be missing
    from the statistics.
    """
    if importlib.util.find_spec("locust") is None:  # finds the package without importing it
        raise PlaybookError("Locust is not installed here: pip install locust")
    locustfile = Path(locustfile).resolve()
    csv_prefix = Path(csv_prefix).resolve()
    csv_prefix.parent.mkdir(parents=True, exist_ok=True)
    stats_path = Path(f"{csv_prefix}_stats.csv")
    stats_path.unlink(missing_ok=True)
    base = [sys.executable, "-m", "locust", "-f", str(locustfile)]
    master = [
        *base,
        "--headless",
        "-H",
        host,
        "-u",
        str(settings.users),
        "-r",
        f"{settings.spawn_rate:g}",
        "-t",
        _run_time(settings),
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        _stop_timeout(stop_timeout_s),
    ]
    commands = [("locust", master)]
    if settings.workers > 0:
        port = _free_port()
        master += [
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            str(settings.workers),
            "--expect-workers-max-wait",
            str(EXPECT_WORKERS_MAX_WAIT_S),
        ]
        worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
        commands += [(f"worker{index}", worker) for index in range(1, settings.workers + 1)]
    # No __pycache__ beside the locustfile: the folder holds what `playbook load` wrote.
    environment = {**os.environ, **(env or {}), "PYTHONDONTWRITEBYTECODE": "1"}
    logs = [Path(f"{csv_prefix}_{role}.log") for role, _ in commands]
    processes: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
    deadline = time.monotonic() + timeout_s
    try:
        for (_, command), log in zip(commands, logs, strict=True):
            stream = log.open("wb")
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stream,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=csv_prefix.parent,  # no stray locust.conf of the caller's folder applies
            )
            processes.append((process, stream))
        try:
            processes[0][0].wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise PlaybookError(
                f"Locust did not finish within {timeout_s:g} s; every Locust process was stopped"
            ) from None
        for process, _ in processes[1:]:  # workers quit when their master does; else killed
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, min(deadline - time.monotonic(), 15.0)))
    finally:
        for process, stream in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            stream.close()
    texts = [log.read_text(encoding="utf-8", errors="replace") for log in logs]
    codes = [process.returncode for process, _ in processes]
    cpu_warning = any(mark in text for text in texts for mark in CPU_WARNING_MARKS)
    try:
        rows = read_locust_stats(stats_path, cpu_warning=cpu_warning)
    except (OSError, PlaybookError):
        rows = []
    # Exit status 1 is also Locust's "some requests failed": only a run that sent nothing is
    # blamed on a process that stopped.
    if not rows or (rows[0]["requests"] == 0 and any(codes)):
        raise PlaybookError(f"Locust sent no request (exit status {codes}): {_why(codes, texts)}")
    return rows


def _free_port() -> int:
    sock = listen("127.0.0.1", 0)
    try:
        return sock.getsockname()[1]
    finally:
        sock.close()


def _why(codes: Sequence[int], texts: Sequence[str]) -> str:
    """The last line of the log of the first process that failed (workers before the master,
    since a master that gave up waiting was usually left by a worker that could not start)."""
    order = [*range(1, len(codes)), 0]
    for index in order:
        if codes[index] != 0:
            lines = [line.strip() for line in texts[index].splitlines() if line.strip()]
            if lines:
                return lines[-1]
    return "no log line explains it"


def read_locust_stats(path: Path, cpu_warning: bool = False) -> list[dict[str, object]]:
    """The Aggregated row of Locust's `*_stats.csv` as a row of `SUMMARY_COLUMNS`.

    Locust's percentiles are its rounded response times in ms ("N/A" without requests); a run
    with no request, or during which Locust warned that its CPU was saturated, is not valid.
    """
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as stream:
        rows = [row for row in csv.DictReader(stream) if row.get("Name") == _AGGREGATED]
    if not rows:
        raise PlaybookError(f"{path}: no {_AGGREGATED!r} row (is it Locust's *_stats.csv?)")
    row = rows[-1]
    requests = int(row["Request Count"])
    errors = int(row["Failure Count"])
    rate = float(row["Requests/s"])
    failing = float(row["Failures/s"])
    summary: dict[str, object] = {
        "source": "locust",
        "rate_rps": round(rate, 3),
        "requests": requests,
        "errors": errors,
        "error_rate": errors / requests if requests else None,
        "p50_ms": _milliseconds(row.get("50%")),
        "p95_ms": _milliseconds(row.get("95%")),
        "p99_ms": _milliseconds(row.get("99%")),
        "throughput_rps": round(max(0.0, rate - failing), 3),
        "valid": requests > 0 and not cpu_warning,
    }
    return [{column: summary[column] for column in SUMMARY_COLUMNS}]


def _milliseconds(value: str | None) -> float | None:
    if value is None or value.strip() in ("", "N/A"):
        return None
    return float(value)


def read_locust_failures(csv_prefix: Path) -> list[tuple[str, int]]:
    """Locust's failure reasons and how often each occurred, most frequent first."""
    path = Path(f"{Path(csv_prefix)}_failures.csv")
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as stream:
        found = [(_reason(row["Error"]), int(row["Occurrences"])) for row in csv.DictReader(stream)]
    return sorted(found, key=lambda item: -item[1])


def _reason(error: str) -> str:
    """The locustfile's own words: Locust writes them as `CatchResponseError('...')`."""
    wrapped = re.fullmatch(r"CatchResponseError\((.*)\)", error.strip(), re.DOTALL)
    if wrapped:
        try:
            text = ast.literal_eval(wrapped.group(1))
        except (ValueError, SyntaxError):
            return error
        if isinstance(text, str):
            return text
    return error


_LOCUSTFILE_TEMPLATE = r'''"""Locust load for the engagement $name, target $spec.

Written by `playbook load`: change engagement.yaml and write it again
(`playbook load DIR --locustfile-only`) rather than editing this file.

On one machine:
    locust -f locustfile.py --headless -u 20 -r 5 -t 30s
On several: one master, and workers on the other machines (copy this file to each):
    locust -f locustfile.py --master --headless -u 200 -r 20 -t 300s --expect-workers 4
    locust -f locustfile.py --worker --master-host <master ip>

$start
Tokens are never written here: every machine that runs users reads them, at start, from
$variables

A reply that is not 2xx, is not JSON, has no answer at ANSWER_PATH or whose status reads as an
error is a failure in Locust's statistics, with the reason. Users pace with constant_pacing, so the
offered rate stays users / WAIT_S while answers are quicker than WAIT_S.
"""

import os
import random
import re

import gevent
import locust.stats
from locust import FastHttpUser, constant_pacing, events, task
from locust.runners import MasterRunner

HOST = $host
PATH = $path
# The JSON body: "{question}" and "{user}" are filled in at any depth.
REQUEST = $request
ANSWER_PATH = $answer_path
STATUS_PATH = $status_path
ANSWER_SETTING = $answer_setting
REFUSED_HINT = $refused_hint  # what to do about a 401 or 403
AUTH_HEADER = $auth_header
# Written before the token ('' for a bare API key).
AUTH_SCHEME = $auth_scheme
# Send the token in this query parameter instead of the header (None: the header).
AUTH_QUERY_PARAM = $auth_query_param
# User -> the environment variable holding that user's token.
TOKEN_ENV = $token_env
HEADERS = $headers
TIMEOUT_S = $timeout_s
# Seconds from the start of one question to the start of the next, per user.
WAIT_S = $wait_s
# [question, user] pairs of the golden set.
QUESTIONS = $questions

ERROR_STATUSES = ("error", "failed", "failure")  # as the playbook reads a status
_PLACEHOLDER = re.compile(r"\{(question|user)\}")
_SIMPLE_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[-?[0-9]+\])*")
_STEP = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\[-?[0-9]+\]")
_PROJECTIONS = ("[*]", "[]", ".*", "[?")


def render(template, question, user):
    """The request body: the template with {question} and {user} filled in at any depth.

    As the playbook's HTTP adapter does: a string that is exactly one placeholder becomes the
    value itself (None for an anonymous "{user}"), others are substituted as text, in one pass.
    """
    values = {"question": question, "user": user}
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)] or "", template)
    if isinstance(template, dict):
        return {key: render(value, question, user) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, question, user) for value in template]
    return template


def compile_path(path):
    """A function giving every value a JMESPath reaches in a reply ([] when it reaches none),
    read as the playbook's HTTP adapter reads it."""
    if _SIMPLE_PATH.fullmatch(path):
        steps = [int(s[1:-1]) if s.startswith("[") else s for s in _STEP.findall(path)]

        def search(document):
            for step in steps:
                if isinstance(step, int):
                    if not isinstance(document, list) or not -len(document) <= step < len(document):
                        return []
                    document = document[step]
                elif isinstance(document, dict):
                    document = document.get(step)
                else:
                    return []
                if document is None:
                    return []
            return [document]

        return search
    import jmespath  # a path beyond a.b[0].c needs it where users run: pip install jmespath

    expression = jmespath.compile(path)
    many = any(mark in path for mark in _PROJECTIONS)

    def search(document):
        value = expression.search(document)
        if value is None:
            return []
        return list(value) if many and isinstance(value, list) else [value]

    return search


find_answer = compile_path(ANSWER_PATH)
find_status = compile_path(STATUS_PATH) if STATUS_PATH else None


def problem(response):
    """Why a reply is a failure, in words that group well in Locust's failure table; None if ok."""
    code = response.status_code
    if not code:
        return f"no reply ({type(response.error).__name__})"  # never the URL: it may hold a key
    if not 200 <= code < 300:
        hint = f": {REFUSED_HINT}" if code in (401, 403) else ""
        return f"HTTP {code}{hint}"
    try:
        document = response.json()
    except ValueError:
        return f"HTTP {code} with a body that is not JSON"
    if not find_answer(document):
        return f"reply has no answer at {ANSWER_PATH!r} ({ANSWER_SETTING})"
    if find_status is not None:
        found = find_status(document)
        status = found[0] if found else None
        if status is False or str(status).strip().lower() in ERROR_STATUSES:
            return f"reply status {status!r} reads as an error"
    return None


def token_for(user):
    variable = TOKEN_ENV.get(user) if user is not None else None
    return os.environ.get(variable) if variable else None


@events.init.add_listener
def require_tokens(environment, **_kwargs):
    """Stop at start, not after a run of refused logins, when a token variable is unset."""
    if isinstance(environment.runner, MasterRunner):
        return  # a master sends no request: only machines that run users need the tokens
    missing = sorted({variable for variable in TOKEN_ENV.values() if not os.environ.get(variable)})
    if missing:
        raise SystemExit(f"locustfile: set {', '.join(missing)} (users' tokens) before starting")


# Locust rewrites its --csv files every CSV_STATS_INTERVAL_SEC and not again when it stops, so
# the last interval's requests would be missing: write more often, and give the writer one more
# turn once the users have stopped (the `quit` event comes before the files are closed).
locust.stats.CSV_STATS_INTERVAL_SEC = 0.25


@events.quit.add_listener
def let_the_csv_writer_catch_up(**_kwargs):
    gevent.sleep(2 * locust.stats.CSV_STATS_INTERVAL_SEC)


class GoldenQuestionUser(FastHttpUser):
    """Asks a random golden question as its user, one every WAIT_S seconds."""

    host = HOST
    # constant_pacing, not constant: a slowing target is not rewarded with fewer questions.
    wait_time = constant_pacing(WAIT_S)
    # FastHttpUser (geventhttpclient), not HttpUser (requests): measured on a loopback API at
    # 100 req/s, requests' own overhead read 5 ms at p50 where the API answered in 1 ms.
    connection_timeout = TIMEOUT_S
    network_timeout = TIMEOUT_S

    @task
    def ask(self):
        question, user = random.choice(QUESTIONS)
        headers, params = dict(HEADERS), {}
        token = token_for(user)
        if token:
            if AUTH_QUERY_PARAM:
                params[AUTH_QUERY_PARAM] = token
            else:
                headers[AUTH_HEADER] = f"{AUTH_SCHEME} {token}" if AUTH_SCHEME else token
        with self.client.post(
            PATH,
            json=render(REQUEST, question, user),
            headers=headers,
            params=params,
            name=PATH.split("?")[0],
            catch_response=True,
        ) as response:
            reason = problem(response)
            if reason:
                response.failure(reason)
            else:
                response.success()
'''
