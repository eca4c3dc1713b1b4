"""The stored run's one owner: a manifest read back is the manifest written, byte for byte; what this version does
not know is kept; a run stored before a protocol entry existed is migrated, read, and refused where it cannot
compare, with the reason named."""

from __future__ import annotations

import json
import shutil

import pytest
from tiny import run_tiny

from normbench import cli
from normbench.errors import ExitCode, UserError
from normbench.store.manifest import (
    MANIFEST,
    NOT_RECORDED,
    SCHEMA_VERSION,
    Manifest,
    Protocol,
    manifest_bytes,
    migrated,
    read_manifest,
)
from normbench.store.results import read_run_manifest

TESTING_KEYS = ("equivalence_margin", "min_samples", "samples_column")


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    assert run_tiny(root, "--norms", "in", run_id="new", metrics="distances,lpips,fid,artfid") == 0
    return root / "runs"


def old_copy(stored, tmp_path):
    """The run as normbench 0.1.0 stored it before each network's source was recorded (230af08^): no protocol
    ``networks`` or ``eval_network``, no top-level ``networks``, and columns that do not say how they are tested."""
    old = tmp_path / "old"
    shutil.copytree(stored / "new", old)
    data = json.loads((old / MANIFEST).read_text())
    del data["protocol"]["networks"], data["protocol"]["eval_network"], data["networks"]
    for column in data["columns"].values():
        for key in TESTING_KEYS:
            column.pop(key, None)
    (old / MANIFEST).write_text(json.dumps(data, indent=2))
    return old


def test_a_manifest_read_back_is_written_byte_for_byte(stored):
    path = stored / "new" / MANIFEST
    manifest = read_manifest(path)
    assert isinstance(manifest.protocol, Protocol) and manifest.protocol.eval_network == "vgg13"
    assert manifest.cells and manifest.status == "complete" and manifest.extra == {}
    assert manifest_bytes(manifest) == path.read_bytes()


def test_entries_this_version_does_not_know_are_kept_in_place():
    data = {"schema_version": SCHEMA_VERSION, "run_id": "x", "status": "complete", "from_a_newer_normbench": [1]}
    data["protocol"] = {"features": "random", "networks": {}, "added_later": True}
    manifest = Manifest.from_dict(data)
    assert manifest.extra == {"from_a_newer_normbench": [1]}
    assert manifest.protocol.extra == {"added_later": True}
    written = json.loads(manifest_bytes(manifest))
    assert written["from_a_newer_normbench"] == [1] and written["protocol"]["added_later"] is True
    assert "error" not in written and "sessions" not in written  # NOTE: what did not happen is not written


def test_a_run_stored_before_networks_were_recorded_is_migrated_and_read(stored, tmp_path, capsys):
    old = old_copy(stored, tmp_path)
    data, applied = migrated(json.loads((old / MANIFEST).read_text()))
    assert applied == ["protocol without its networks", "built-in columns without how they are tested"]
    assert data["protocol"]["eval_network"] == "vgg13" and data["protocol"]["networks"] == NOT_RECORDED
    assert migrated(data)[1] == []  # NOTE: a current manifest is left as it is
    assert read_run_manifest(old).status == "complete: 2 of 2 cells"
    assert cli.main(["report", str(old)]) == ExitCode.OK
    capsys.readouterr()
    assert cli.main(["status", str(old)]) == ExitCode.OK
    assert capsys.readouterr().out.strip() == f"{old}: complete: 2 of 2 cells"


def test_built_in_columns_stored_before_they_declared_how_they_are_tested_get_it(stored, tmp_path):
    data, _ = migrated(json.loads((old_copy(stored, tmp_path) / MANIFEST).read_text()))
    columns = data["columns"]
    assert columns["style_gram"]["equivalence_margin"] == 0.01 and "min_samples" not in columns["style_gram"]
    assert columns["fid"]["min_samples"] == 2048 and columns["fid"]["samples_column"] == "fid_n"
    assert "equivalence_margin" not in columns["lpips"]  # NOTE: it declares none
    new = json.loads((stored / "new" / MANIFEST).read_text())["columns"]
    for name in ("style_gram", "fid", "kid", "artfid"):  # NOTE: what a run made today declares
        assert columns[name].items() >= {key: value for key, value in new[name].items() if value is not None}.items()
    # NOTE: a plugin's column of the same name is the plugin's: left as stored
    plugin = json.loads((old_copy(stored, tmp_path / "plugin") / MANIFEST).read_text())
    plugin["metrics"][plugin["columns"]["fid"]["metric"]]["plugin"] = "someone_elses_metrics"
    assert "min_samples" not in migrated(plugin)[0]["columns"]["fid"]


def test_an_old_run_is_refused_beside_a_new_one_naming_what_it_lacks(stored, tmp_path, capsys):
    old = old_copy(stored, tmp_path)
    assert cli.main(["report", str(stored / "new"), str(old), "-o", str(tmp_path / "both.html")]) == 2
    err = capsys.readouterr().err
    assert "differ in protocol" in err and " vs 'not recorded: stored before normbench kept them'" in err
    assert cli.main(["run", "--resume", str(old)]) == ExitCode.USAGE_ERROR
    err = " ".join(capsys.readouterr().err.split())  # NOTE: the terminal wraps long lines
    assert "protocol changed" in err
    assert "networks: 'not recorded: stored before normbench kept them' -> {'vgg16'" in err


def test_another_schema_is_refused_by_name(stored, tmp_path):
    path = tmp_path / MANIFEST
    data = json.loads((stored / "new" / MANIFEST).read_text())
    path.write_text(json.dumps({**data, "schema_version": 3}))
    with pytest.raises(UserError, match="written with results schema 3; this normbench reads schema 4"):
        read_manifest(path)


def test_a_directory_without_a_run_is_named(tmp_path):
    with pytest.raises(UserError, match=f"{tmp_path}: not a normbench run directory \\(no manifest.json\\)"):
        read_run_manifest(tmp_path)
