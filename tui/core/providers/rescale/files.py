"""A Rescale job's files through the API: stored outputs (`jobs/{id}/files/`, read from
`files/{id}/contents/` with `Range`), a running run's live folder (`directory-contents`, read
from its `tail/` URL), and input uploads (`POST files/contents/`, multipart `file`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from tui.core.errors import ProviderError
from tui.core.providers.files import JobFile
from tui.core.providers.rescale.api import API_PREFIX, RescaleApi, RescaleNotFound


def _sha256(item: dict[str, Any]) -> str | None:
    for check in item.get("fileChecksums") or []:
        if isinstance(check, dict) and str(check.get("hashFunction", "")).lower() == "sha256":
            digest = str(check.get("fileHash", "")).lower()
            return digest if len(digest) == 64 else None
    return None


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


async def active_run(api: RescaleApi, job_id: str) -> str:
    """The run in progress (started, not completed), else the newest started one, else "1"."""
    try:
        runs = await api.get_all(f"jobs/{quote(job_id)}/runs/")
    except RescaleNotFound:
        runs = []
    active = [r for r in runs if r.get("dateStarted") and not r.get("dateCompleted")]
    started = [r for r in runs if r.get("dateStarted")]
    return str((active or started[-1:] or [{"id": "1"}])[0].get("id") or "1")


class RescaleJobFiles:
    """`JobFiles` for one Rescale job (see `tui.core.providers.files`)."""

    def __init__(self, api: RescaleApi, job_id: str, *, running: bool) -> None:
        self.api = api
        self.job_id = job_id
        self.running = running
        self.label = f"Rescale job {job_id}"

    async def list(self) -> list[JobFile]:
        if self.running:
            run = await active_run(self.api, self.job_id)
            path = f"jobs/{quote(self.job_id)}/runs/{quote(run)}/directory-contents/"
            try:
                entries = await self.api.get(path)
            except RescaleNotFound:  # the run has just ended: its outputs are being stored
                self.running = False
                return await self.list()
            return [
                JobFile(str(e["path"]), None, ref=self._api_path(str(e["resource"])), live=True)
                for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str)
                and isinstance(e.get("resource"), str)
            ] if isinstance(entries, list) else []  # fmt: skip
        items = await self.api.get_all(f"jobs/{quote(self.job_id)}/files/")
        return [
            JobFile(
                str(item.get("relativePath") or item["name"]),
                _size(item.get("decryptedSize")),
                sha256=_sha256(item),
                ref=f"files/{quote(str(item['id']))}/contents/",
            )
            for item in items
            if isinstance(item.get("id"), str | int) and isinstance(item.get("name"), str)
        ]

    def _api_path(self, resource: str) -> str:
        """A `resource` URL as a path below the API prefix (only on the API's own host)."""
        split = urlsplit(resource)
        ours = urlsplit(self.api.base_url)
        if split.netloc and split.netloc != ours.netloc:
            raise ProviderError(f"Rescale listed a file on another host ({split.netloc})")
        path = split.path
        return path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path.lstrip("/")

    @contextlib.asynccontextmanager
    async def read(
        self, file: JobFile, *, start: int = 0
    ) -> AsyncIterator[tuple[int, AsyncIterator[bytes]]]:
        api = self.api
        headers = {"Range": f"bytes={start}-"} if start else {}
        request = api._client.build_request("GET", file.ref, headers=headers)
        try:
            response = await api._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise api._network_error(exc, file.ref) from exc
        try:
            if response.status_code >= 300:
                await response.aread()
                raise api._http_error(response, file.ref)[0]
            yield (start if response.status_code == 206 else 0), _chunks(response, api, file.ref)
        finally:
            await response.aclose()

    async def upload(self, local: Path) -> str:
        api = self.api
        try:
            with local.open("rb") as source:
                response = await api._client.post(
                    "files/contents/", files={"file": (local.name, source)}
                )
        except OSError as exc:
            raise ProviderError(f"cannot read {local}: {exc.strerror or exc}") from exc
        except httpx.TransportError as exc:
            raise api._network_error(exc, "files/contents/") from exc
        if response.status_code >= 300:
            raise api._http_error(response, "files/contents/")[0]
        body = api._json(response, "files/contents/")
        if not isinstance(body, dict) or not isinstance(body.get("id"), str | int):
            raise ProviderError("Rescale answered the upload without a file id")
        return str(body["id"])


async def _chunks(response: httpx.Response, api: RescaleApi, path: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except httpx.TransportError as exc:
        raise api._network_error(exc, path) from exc
