"""Faults for an HTTP target: the fault proxy on the hop from the team's service to its model.

The team points its model base URL at `http://127.0.0.1:<target.fault_proxy.port>`; the proxy
forwards to `target.fault_proxy.upstream` and acts each fault out as a toxic, so the service's own
timeouts, retries and fallbacks are what the checks measure.
"""

from __future__ import annotations

import json

from playbook.faultproxy import FaultProxy, Toxic
from playbook.faults import NONSENSE, Fault


def toxic_for(fault: Fault) -> Toxic:
    """The fault proxy's toxic that acts out `fault` on an HTTP hop."""
    seconds = fault.seconds
    rate = fault.rate
    if fault.kind == "latency":
        return Toxic("latency", rate, latency_ms=1000.0 * (seconds or 0.5), name="latency")
    if fault.kind == "hang":
        return Toxic("timeout", rate, timeout_ms=1000.0 * (seconds or 0.0), name="hang")
    if fault.kind == "exception":
        return Toxic("reset_peer", rate, name="exception")
    if fault.kind == "rate_limit":
        return Toxic("status", rate, status=429, retry_after=seconds, name="rate_limit")
    if fault.kind == "server_error":
        return Toxic("status", rate, status=503, name="server_error")
    if fault.kind == "malformed":
        return Toxic("malformed", rate, name="malformed")
    if fault.kind == "nonsense":
        text = NONSENSE[fault.seed % len(NONSENSE)]
        completion = {
            "id": "chatcmpl-nonsense",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
        }
        return Toxic("body", rate, body=json.dumps(completion).encode(), name="nonsense")
    raise ValueError(f"{fault.kind} faults cannot be injected on an HTTP hop")


class ProxyFaults:
    """Faults on the HTTP hop from a team's service to one upstream, through the fault proxy.

    Counts are what the proxy received; the breaker state is not visible, only inferred from
    requests that never reached the upstream.
    """

    # A black box cannot be reset: only one request at a time ties each strike (or a cache hit
    # that never reached the upstream) to the answer it produced.
    isolated = False

    def __init__(self, proxy: FaultProxy, stage: str = "generation") -> None:
        self.proxy = proxy
        self.stage = stage
        self.route = f"fault proxy {proxy.url} -> {proxy.upstream} ({stage} upstream)"

    def supports(self, kind: str, stage: str) -> bool:
        return stage == self.stage and kind != "empty_retrieval"

    def apply(self, fault: Fault | None) -> None:
        if fault is None:
            self.proxy.clear_toxics()
        else:
            self.proxy.set_toxics(toxic_for(fault))

    def reset(self) -> None:
        self.proxy.clear_toxics()

    def calls(self, stage: str) -> int:
        return self.proxy.received if stage == self.stage else 0

    def mark(self) -> int:
        return self.proxy.received

    def first_call_struck(self, mark: int, stage: str) -> bool:
        arrivals = self.proxy.toxics_since(mark) if stage == self.stage else []
        return bool(arrivals) and arrivals[0] is not None

    def breaker_state(self) -> str | None:
        return None

    def breaker_reset_s(self) -> float | None:
        return None
