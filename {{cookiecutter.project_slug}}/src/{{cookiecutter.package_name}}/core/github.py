"""A small client of GitHub's REST API: every page of a listing, within the rate limit.

The one client of the project: delivery metrics read with it, and deploy.yml's steps (ops/)
record deployments with it. The standard library is enough for a few hundred JSON pages a month.
Listings are followed through their `Link: <...>; rel="next"` headers to the last page, never
stopped at the first 100 items. When GitHub says the rate limit is spent (403 or 429 with
`x-ratelimit-remaining: 0`, or a `retry-after`), or the last answer left fewer than
`reserve` requests, the reader waits for the reset if that takes at most `max_wait` seconds,
else raises RateLimitStop: the caller keeps what it has read and says the report stops there.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

API_VERSION = "2022-11-28"  # the REST API version these readers were written against
PER_PAGE = 100  # GitHub's largest page
NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(RuntimeError):
    """GitHub answered with an error the report cannot go on without; the message says which."""


class RateLimitStop(GitHubError):  # noqa: N818 (a stop: a delivery report goes on without)
    """GitHub's rate limit is spent for longer than the client may wait."""


@dataclass
class GitHub:
    """The REST API at `api_url` (GITHUB_API_URL), read with `token` (GITHUB_TOKEN)."""

    api_url: str
    token: str | None = None
    max_wait: float = 60.0  # seconds the reader may wait for the rate limit to reset
    reserve: int = 5  # requests left untouched for the workflow's other steps
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    requests: int = 0  # how many requests were answered
    remaining: int | None = None  # as the last answer said
    _reset_at: float | None = field(default=None, repr=False)

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """The JSON of one answer (`path` below api_url, or a full URL GitHub gave)."""
        return self._get(self._url(path, params))[0]

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST `body` as JSON to `path` below api_url; the JSON answer."""
        return self._call(self._url(path, None), json.dumps(body).encode())[0]

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        """PATCH `body` as JSON to `path` below api_url; the JSON answer."""
        return self._call(self._url(path, None), json.dumps(body).encode(), "PATCH")[0]

    def delete(self, path: str) -> Any:
        """DELETE `path` below api_url; the JSON answer."""
        return self._call(self._url(path, None), None, "DELETE")[0]

    def get_or_none(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """As get, but None when GitHub answers 404 or 422 (an unknown commit or file)."""
        try:
            return self.get(path, params)
        except Missing:
            return None

    def bodies(self, path: str, params: Mapping[str, str | int] | None = None) -> Iterator[Any]:
        """The JSON of every page, following each answer's `Link: <...>; rel="next"`."""
        url: str | None = self._url(path, {"per_page": PER_PAGE, **(params or {})})
        while url is not None:
            body, headers = self._get(url)
            yield body
            found = NEXT.search(headers.get("Link", "") or "")
            url = found.group(1) if found else None

    def pages(
        self, path: str, params: Mapping[str, str | int] | None = None, key: str | None = None
    ) -> Iterator[Any]:
        """Every item of a listing, page after page (`key`: the list inside an object answer)."""
        for body in self.bodies(path, params):
            yield from body[key] if key is not None else body

    def _url(self, path: str, params: Mapping[str, str | int] | None) -> str:
        url = path if path.startswith(("http://", "https://")) else self.api_url.rstrip("/") + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return url

    def _get(self, url: str) -> tuple[Any, Message]:
        return self._call(url, None)

    def _call(self, url: str, data: bytes | None, method: str | None = None) -> tuple[Any, Message]:
        """GET `url`, POST `data` to it, or `method`; retried when the rate limit was waited out."""
        while True:
            self._wait_for_budget()
            headers = self._headers() | ({"Content-Type": "application/json"} if data else {})
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    self.requests += 1
                    self._note_limit(answer.headers)
                    return json.loads(answer.read() or b"null"), answer.headers
            except urllib.error.HTTPError as error:
                self.requests += 1
                self._note_limit(error.headers)
                if not self._wait_after_limit(error):
                    raise self._error(request.get_method(), url, error) from None
            except urllib.error.URLError as error:
                raise GitHubError(
                    f"GitHub cannot be reached at {url}: {error.reason} (is GITHUB_API_URL right?)"
                ) from None

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "{{ cookiecutter.project_slug }}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _note_limit(self, headers: Message) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self._reset_at = float(reset)

    def _wait_for_budget(self) -> None:
        """Before a request: wait for the reset when the last answer left too few requests."""
        if self.remaining is None or self.remaining > self.reserve:
            return
        reset_in = (self._reset_at or self.clock()) - self.clock()
        self._wait(max(reset_in, 0.0) + 1.0, f"{self.remaining} requests left")
        self.remaining = None

    def _wait_after_limit(self, error: urllib.error.HTTPError) -> bool:
        """After a refusal: True when it was the rate limit and the reader waited it out."""
        if error.code not in (403, 429):
            return False
        retry_after = error.headers.get("retry-after")
        if retry_after is not None and retry_after.isdigit():
            self._wait(float(retry_after), "GitHub asked to retry later (secondary rate limit)")
            return True
        if error.headers.get("x-ratelimit-remaining") == "0":
            reset_in = (self._reset_at or self.clock()) - self.clock()
            self._wait(max(reset_in, 0.0) + 1.0, "the rate limit is spent")
            return True
        return False

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait:
            raise RateLimitStop(
                f"{why}: GitHub's rate limit resets in {seconds:.0f} s, more than the"
                f" {self.max_wait:.0f} s this report may wait (after {self.requests} requests)"
            )
        self.sleep(seconds)

    def _error(self, method: str, url: str, error: urllib.error.HTTPError) -> Exception:
        try:
            message = json.loads(error.read() or b"{}").get("message", "")
        except (ValueError, AttributeError):
            message = ""
        if error.code in (404, 422) and ("/compare/" in url or "/contents/" in url):
            return Missing(url)
        hint = {
            401: "GITHUB_TOKEN is missing or invalid",
            403: "GITHUB_TOKEN lacks a permission (read: deployments, actions, contents; "
            "write: deployments, to record them)",
            404: "GITHUB_REPOSITORY is wrong, or GITHUB_TOKEN may not read it",
        }.get(error.code, "")
        return GitHubError(
            f"GitHub answered {error.code} to {method} {url}: {message or error.reason}"
            + (f" ({hint})" if hint else "")
        )


class Missing(Exception):  # noqa: N818 (not an error to the caller: get_or_none's None)
    """GitHub knows no such commit or file (404/422 to a comparison or a file)."""
