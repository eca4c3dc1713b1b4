"""Downloading missing published weights files (auto and pretrained), against a local HTTP server: the total size
said before the first byte, only the networks the run uses fetched, and each failure a fallback (auto) or exit 4
(pretrained) that says why. No test touches the internet (conftest sets NORMBENCH_OFFLINE=1)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import socket
import threading
import urllib.error
import warnings

import pytest
import torch

from normbench import weights
from normbench.errors import MissingWeightsError
from normbench.weights import fetch
from normbench.weights.fetch import Downloads, failure_reason, human_size
from normbench.weights.sources import NetworkSource, resolve_sources


class Server:
    """A local file server whose every request is logged as ``(method, path)``."""

    def __init__(self, folder):
        self.folder, self.requests = folder, []
        log = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_request(self, code="-", size="-"):
                log.append((self.command, self.path))

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=folder))
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def gets(self) -> list[str]:
        return [path for method, path in self.requests if method == "GET"]


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    served = Server(folder)
    yield served
    served.httpd.shutdown()
    served.httpd.server_close()


@pytest.fixture
def serve(server, monkeypatch):
    """``serve(name, content, tamper=False)``: the weights file ``name`` published on the local server under a name
    that carries its sha256 prefix (with ``tamper``, other bytes are served under that name)."""

    def publish(name: str, content: bytes, tamper: bool = False) -> weights.WeightsFile:
        filename = f"{name}-{hashlib.sha256(content).hexdigest()[:8]}.pth"
        (server.folder / filename).write_bytes(b"tampered " + content if tamper else content)
        entry = weights.WeightsFile(name, f"{server.url}/{filename}", "test")
        monkeypatch.setitem(weights.WEIGHT_FILES, name, entry)
        return entry

    return publish


def closed_port_url(name: str) -> str:
    with socket.socket() as probe:  # NOTE: a port just freed refuses connections at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}-00000000.pth"


def test_auto_downloads_the_missing_files_after_saying_their_total_size(serve, server):
    sizes = {"vgg16": 3072, "alexnet": 1536}
    entries = {name: serve(name, bytes(range(256)) * (size // 256) + bytes(size % 256)) for name, size in sizes.items()}
    said = []
    downloads = Downloads(say=lambda text: said.append((text, len(server.gets()))))
    sources = resolve_sources("auto", ["vgg16", "alexnet"], downloads)
    assert {name: source.kind for name, source in sources.items()} == {"vgg16": "pretrained", "alexnet": "pretrained"}
    assert all(entry.path.is_file() for entry in entries.values())
    assert sources["vgg16"].sha256 == weights.sha256(entries["vgg16"].path)
    [(text, gets_before)] = said
    assert gets_before == 0, "the size is said before the first byte"
    assert "2 published weights files, 4.5 KiB in all" in text and "vgg16 3 KiB" in text and "alexnet 1.5 KiB" in text


def test_only_the_networks_the_run_uses_are_fetched(serve, server):
    serve("vgg16", b"sixteen")
    serve("vgg19", b"nineteen")
    resolve_sources("auto", ["vgg16"], Downloads())
    assert server.gets() == ["/" + weights.WEIGHT_FILES["vgg16"].filename]


def test_present_files_and_imports_are_not_downloaded(serve, server, stand_in_weights, monkeypatch):
    stand_in_weights("alexnet", {"w": torch.ones(2)})
    serve("vgg16", b"sixteen")
    monkeypatch.setattr("normbench.weights.sources.load_imported", lambda name: object() if name == "vgg16" else None)
    imported = NetworkSource("vgg16", "import", sha256="0" * 64, note="stand-in")
    monkeypatch.setattr("normbench.weights.sources._imported", lambda name: imported)
    sources = resolve_sources("auto", ["alexnet", "vgg16"], Downloads())
    assert sources["alexnet"].kind == "pretrained" and sources["vgg16"] is imported
    assert server.requests == []


def test_unreachable_servers_make_auto_fall_back_with_one_line_per_reason(monkeypatch):
    for name in ("vgg13", "alexnet"):
        url = closed_port_url(name)
        monkeypatch.setitem(weights.WEIGHT_FILES, name, weights.WeightsFile(name, url, "test"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sources = resolve_sources("auto", ["vgg13", "alexnet"], Downloads())
    assert [source.kind for source in sources.values()] == ["random", "random"]
    [message] = [str(warning.message) for warning in caught]  # NOTE: two servers (ports), one reason
    assert "no pretrained vgg13, alexnet (cannot be downloaded: 127.0.0.1 unreachable (Connection refused))" in message
    assert "seeded random" in message


def test_one_dead_host_is_asked_once_and_named_for_every_network(monkeypatch):
    url = closed_port_url("vgg13")
    calls = []
    real = fetch.remote_size
    monkeypatch.setattr(fetch, "remote_size", lambda address: calls.append(address) or real(address))
    for name in ("vgg13", "alexnet"):
        monkeypatch.setitem(weights.WEIGHT_FILES, name, weights.WeightsFile(name, url.replace("vgg13", name), "t"))
    with pytest.warns(UserWarning, match=r"no pretrained vgg13, alexnet \(cannot be downloaded: 127.0.0.1 unreachable"):
        resolve_sources("auto", ["vgg13", "alexnet"], Downloads())
    assert len(calls) == 1


def test_pretrained_that_cannot_be_downloaded_is_exit_4_saying_why(monkeypatch):
    url = closed_port_url("vgg16")
    monkeypatch.setitem(weights.WEIGHT_FILES, "vgg16", weights.WeightsFile("vgg16", url, "test"))
    with pytest.raises(MissingWeightsError) as caught:
        resolve_sources("pretrained", ["vgg16"], Downloads())
    message = str(caught.value)
    assert caught.value.exit_code == 4 and "vgg16-00000000.pth is not in" in message
    assert "127.0.0.1 unreachable" in message and "--weights vgg16=random" in message


def test_pretrained_downloads_a_missing_file(serve):
    entry = serve("inception_fid", b"inception")
    assert resolve_sources("pretrained", ["inception_fid"], Downloads())["inception_fid"].kind == "pretrained"
    assert entry.path.read_bytes() == b"inception"


def test_a_file_whose_hash_is_wrong_is_not_kept_and_auto_says_so(serve):
    entry = serve("vgg19", b"nineteen", tamper=True)
    with pytest.warns(UserWarning, match=r"no pretrained vgg19 \(its download failed: .*nothing was saved"):
        source = resolve_sources("auto", ["vgg19"], Downloads())["vgg19"]
    assert source.kind == "random" and not entry.path.exists()
    assert not list(entry.path.parent.glob("*"))


def test_a_missing_file_on_the_server_is_its_http_status(serve, monkeypatch):
    entry = serve("vgg16", b"sixteen")
    monkeypatch.setitem(weights.WEIGHT_FILES, "vgg16", weights.WeightsFile("vgg16", entry.url + "x", "t"))
    with pytest.warns(UserWarning, match="answered HTTP 404"):
        resolve_sources("auto", ["vgg16"], Downloads())


def test_offline_never_touches_the_network(serve, server, monkeypatch):
    serve("vgg16", b"sixteen")
    with pytest.warns(UserWarning, match=r"no pretrained vgg16 \(downloads are off"):
        assert resolve_sources("auto", ["vgg16"], Downloads(enabled=False))["vgg16"].kind == "random"
    monkeypatch.setenv("NORMBENCH_OFFLINE", "1")
    assert not Downloads.for_run().enabled and not Downloads.for_run(offline=True, progress=True).enabled
    monkeypatch.setenv("NORMBENCH_OFFLINE", "0")
    assert Downloads.for_run().enabled and not Downloads.for_run(offline=True).enabled
    assert server.requests == []


def test_failure_reasons_and_sizes_read_as_phrases():
    url = "https://download.pytorch.org/models/vgg16-397923af.pth"
    dns = urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))
    assert failure_reason(url, dns) == "download.pytorch.org unreachable (Temporary failure in name resolution)"
    assert failure_reason(url, TimeoutError()) == "download.pytorch.org did not answer within 20 s"
    sizes = [human_size(n) for n in (1023, 1024, 95_628_359, 1_425_665_629)]
    assert sizes == ["1023 B", "1 KiB", "91.2 MiB", "1.33 GiB"]


def test_weights_download_fetches_announces_and_fails_with_exit_4(serve, monkeypatch, capsys):
    from normbench import cli

    monkeypatch.delenv("NORMBENCH_OFFLINE", raising=False)
    for name in weights.WEIGHT_FILES:
        serve(name, name.encode())
    assert cli.main(["weights", "download", "vgg16", "vgg13"]) == 0
    out = capsys.readouterr().err
    assert "downloading 2 published weights files" in out and "all 2 files present and verified" in out
    monkeypatch.setitem(weights.WEIGHT_FILES, "alexnet", weights.WeightsFile("alexnet", closed_port_url("a"), "t"))
    assert cli.main(["weights", "download", "alexnet"]) == 4
    assert "a-00000000.pth: cannot be downloaded: 127.0.0.1 unreachable" in capsys.readouterr().err
    monkeypatch.setenv("NORMBENCH_OFFLINE", "yes")
    assert cli.main(["weights", "download", "inception_fid"]) == 4


def test_a_run_downloads_its_evaluation_network_and_records_it(serve, monkeypatch, tiny_run, tmp_path, capsys):
    from torchvision.models import vgg

    state = {f"features.{key}": value for key, value in vgg.make_layers(vgg.cfgs["B"]).state_dict().items()}
    buffer = tmp_path / "vgg13.pth"
    torch.save(state, buffer)
    entry = serve("vgg13", buffer.read_bytes())
    monkeypatch.delenv("NORMBENCH_OFFLINE", raising=False)
    assert tiny_run("--weights", "random,vgg13=auto", "--metrics", "distances") == 0
    assert "downloading 1 published weights file," in capsys.readouterr().err
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    assert manifest["networks"]["vgg13"]["kind"] == "pretrained"
    assert manifest["networks"]["vgg13"]["sha256"] == weights.sha256(entry.path)
    assert manifest["networks"]["vgg16"]["kind"] == "random"
    assert not {"alexnet", "inception_fid"} & set(manifest["networks"]), "--metrics distances needs neither"
