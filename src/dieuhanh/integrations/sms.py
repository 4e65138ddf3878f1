"""Sending SMS through the province's SMS gateway over HTTP (a brand-name SMS contract is
usually reached this way, from inside the data centre): ``POST`` of ``{"to", "text"}`` as
JSON with a bearer token. Anything but a 2xx answer is a failure the caller retries."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SmsGateway:
    url: str
    token: str | None = None
    timeout: float = 10.0

    def send(self, to: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = httpx.post(
            self.url,
            json={"to": "".join(ch for ch in to if ch.isdigit() or ch == "+"), "text": text},
            headers=headers,
            timeout=self.timeout,
        )
        response.raise_for_status()
