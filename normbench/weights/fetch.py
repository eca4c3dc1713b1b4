"""Downloading the published files a run needs, before it starts, as torchvision would: sizes first, then each
file with torch.hub (a temporary file beside its place, the sha256 prefix checked, then moved in).

A file that cannot be had is not an error here: :meth:`Downloads.fetch` returns why, and the caller decides
(``auto`` falls back to a random network, ``pretrained`` stops with exit 4).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from normbench.errors import MissingWeightsError
from normbench.weights import WEIGHT_FILES, WeightsFile, download

#: Seconds to wait for a server's first answer: a firewall that drops packets must not hang a run for minutes.
CONNECT_TIMEOUT_S = 20
#: Set to 1 (or true/yes) on an air-gapped machine: no run or `weights download` touches the network.
OFFLINE_VARIABLE = "NORMBENCH_OFFLINE"

log = logging.getLogger("normbench")


def offline_by_environment() -> bool:
    return os.environ.get(OFFLINE_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def human_size(count: int) -> str:
    """``1425665629`` -> ``1.33 GiB``: binary units, as torch.hub's progress bar counts (``28.6M`` is 28.6 MiB)."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} B"


def remote_size(url: str, timeout: float = CONNECT_TIMEOUT_S) -> int:
    """The size the server announces for ``url`` (a HEAD request; 0 when it says none).

    :raises urllib.error.URLError: the server cannot be reached or answers with an error.
    :raises OSError: the connection fails or times out.
    """
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout) as answer:
        return int(answer.headers.get("Content-Length") or 0)


def failure_reason(url: str, error: BaseException) -> str:
    """Why ``url`` could not be had, in one short phrase: ``download.pytorch.org unreachable (...)``."""
    host = urlsplit(url).hostname or url
    if isinstance(error, urllib.error.HTTPError):
        return f"{host} answered HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, BaseException) else OSError(str(error.reason))
    if isinstance(error, (socket.timeout, TimeoutError)):
        return f"{host} did not answer within {CONNECT_TIMEOUT_S} s"
    if isinstance(error, OSError):
        return f"{host} unreachable ({error.strerror or error})"
    return str(error)


@dataclass(frozen=True)
class Downloads:
    """How a run gets published files it lacks.

    :param enabled: False never touches the network (``--offline``, ``NORMBENCH_OFFLINE=1``).
    :param progress: torch.hub's progress bar on stderr for each file.
    :param say: told the files and their total size before the first byte (default: the ``normbench`` logger).
    """

    enabled: bool = True
    progress: bool = False
    say: Callable[[str], None] = field(default=log.info)

    @classmethod
    def for_run(cls, offline: bool = False, progress: bool = False) -> Downloads:
        """Downloads as a run makes them: none with ``offline`` or ``NORMBENCH_OFFLINE``; with ``progress``, the
        announcement and the bars on stderr, else quiet (the announcement goes to the ``normbench`` logger)."""
        return cls(not (offline or offline_by_environment()), progress, _to_stderr if progress else log.info)

    def fetch(self, names: list[str]) -> dict[str, str]:
        """Download the published file of each network in ``names`` into its place under ``$TORCH_HOME``.

        :returns: for each network whose file could not be had, why (empty when every file arrived).
        """
        if not names:
            return {}
        if not self.enabled:
            return dict.fromkeys(names, f"downloads are off: --offline or {OFFLINE_VARIABLE}")
        sizes, failed = self._sizes([WEIGHT_FILES[name] for name in names])
        if sizes:
            self.say(_announcement(sizes))
        for entry in sizes:
            try:
                download(entry, progress=self.progress)
            except (MissingWeightsError, urllib.error.URLError, OSError) as error:
                failed[entry.name] = f"its download failed: {failure_reason(entry.url, error)}"
        return failed

    def _sizes(self, entries: list[WeightsFile]) -> tuple[dict[WeightsFile, int], dict[str, str]]:
        """Each reachable file's size, and why each other one is not reachable; a server that failed once is not
        asked again (three of the five files share one)."""
        sizes, failed, dead_hosts = {}, {}, {}
        for entry in entries:
            host = urlsplit(entry.url).netloc
            if host in dead_hosts:
                failed[entry.name] = dead_hosts[host]
                continue
            try:
                sizes[entry] = remote_size(entry.url)
            except (urllib.error.URLError, OSError, ValueError) as error:
                failed[entry.name] = f"cannot be downloaded: {failure_reason(entry.url, error)}"
                if not isinstance(error, urllib.error.HTTPError):
                    dead_hosts[host] = failed[entry.name]
        return sizes, failed


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _announcement(sizes: dict[WeightsFile, int]) -> str:
    folder = next(iter(sizes)).path.parent
    total = human_size(sum(sizes.values()))
    each = ", ".join(f"{entry.name} {human_size(size)}" for entry, size in sizes.items())
    count = len(sizes)
    return f"downloading {count} published weights file{'s' * (count > 1)}, {total} in all, into {folder}: {each}"
