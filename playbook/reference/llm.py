"""An optional OpenAI-compatible chat-completions endpoint for the generation stage."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from playbook.errors import PlaybookError
from playbook.reference.faults import RateLimited, ServerError, UpstreamError
from playbook.reference.store import Passage

SYSTEM_PROMPT = (
    "You answer questions for employees using only the numbered passages given. Cite every "
    "statement with the id of its passage in square brackets, like [doc-id]. If the passages do "
    "not answer the question, say so plainly."
)
PASSAGE_CHARS = 1_500


@dataclass(frozen=True)
class LlmConfig:
    """Where the model is; the key is read from `api_key_env` at call time and never stored."""

    base_url: str
    model: str
    api_key_env: str | None = None
    timeout_s: float = 30.0
    max_tokens: int = 400

    def api_key(self) -> str | None:
        """The key from the environment now; a named but unset variable is a PlaybookError."""
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise PlaybookError(
                f"llm: field 'api_key_env': environment variable {self.api_key_env} is not set"
            )
        return key


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


def chat(
    config: LlmConfig, client: httpx.Client, question: str, passages: Sequence[Passage]
) -> str:
    """The model's answer text; 429 and 5xx raise transient errors, anything else UpstreamError.

    Error messages carry the status and never the request headers or the response body, so a
    server that echoes the Authorization header cannot put the key into logs or answers.
    """
    context = "\n\n".join(
        f"[{passage.doc_id}] {passage.title}\n{passage.body[:PASSAGE_CHARS]}"
        for passage in passages
    )
    headers = {}
    key = config.api_key()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    payload = {
        "model": config.model,
        "temperature": 0,
        "max_tokens": config.max_tokens,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Passages:\n{context}\n\nQuestion: {question}"},
        ],
    }
    url = config.base_url.rstrip("/") + "/chat/completions"
    try:
        response = client.post(url, json=payload, headers=headers, timeout=config.timeout_s)
    except httpx.TimeoutException:
        raise ServerError(f"model endpoint timed out after {config.timeout_s} s", 504) from None
    except httpx.HTTPError as exc:
        raise UpstreamError(f"model endpoint unreachable ({type(exc).__name__})") from None
    if response.status_code == 429:
        raise RateLimited("model endpoint answered 429", retry_after=_retry_after(response))
    if response.status_code >= 500:
        raise ServerError(f"model endpoint answered {response.status_code}", response.status_code)
    if response.status_code >= 400:
        raise UpstreamError(f"model endpoint answered {response.status_code}")
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise UpstreamError("model endpoint returned an unreadable completion") from None
    if not isinstance(content, str):
        raise UpstreamError("model endpoint returned a completion without text")
    return content
