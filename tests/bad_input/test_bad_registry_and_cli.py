"""A damaged local registry and bad command-line values: `python -m local_runner` (in-process)
exits non-zero with one line that names the file or value and the fix, and changes nothing; a
serve that cannot use its new port leaves the running endpoint serving."""

from __future__ import annotations

import json
import socket

import pytest
from matrix_helpers import assert_refused, tree_digest

from local_runner import cli, endpoint, fsutil, objectstore, paths
from local_runner.registry import Registry

GROUP = "sagemaker-gitops-local"


def a_version(number: int, status: str = "Approved") -> dict:
    """A version record whose artifact exists in the object store with the recorded SHA-256."""
    url = f"s3://b/k/{number}/model.tar.gz"
    objectstore.put_bytes(url, f"model {number}".encode())
    return {
        "ModelPackageGroupName": GROUP,
        "ModelPackageVersion": number,
        "ModelPackageArn": f"arn:aws:sagemaker:us-east-1:000000000000:model-package/{GROUP.lower()}/{number}",
        "ModelApprovalStatus": status,
        "ModelDataUrl": url,
        "CreationTime": f"2026-01-0{number}T00:00:00Z",
        "ModelDataSha256": fsutil.sha256_bytes(f"model {number}".encode()),
        "ApprovalHistory": [{"status": status, "time": f"2026-01-0{number}T00:00:00Z"}],
    }


@pytest.fixture
def registry_files(home):
    folder = paths.registry_dir() / GROUP
    for number in (1, 2):
        fsutil.write_json(folder / "versions" / f"{number}.json", a_version(number))
    fsutil.write_json(folder / "champion.json", {"version": 2, "history": [1, 2]})
    (folder / ".lock").touch()  # the flock file a command takes: not content
    return folder


CORRUPTIONS = {
    # class: (file, bytes written, command, first-line fragment)
    "torn-version-file": (
        "versions/2.json",
        b'{"ModelPackageVersion": 2, "Mod',
        ["models"],
        "corrupt registry file (not valid JSON",
    ),
    "empty-version-file": (
        "versions/1.json",
        b"",
        ["models"],
        "corrupt registry file (not valid JSON",
    ),
    "version-file-not-an-object": (
        "versions/1.json",
        b"[1, 2]",
        ["models"],
        "corrupt registry file (no ModelPackageVersion",
    ),
    "version-file-binary": (
        "versions/1.json",
        b"\xff\xfe\x00garbage",
        ["models"],
        "corrupt registry file (not UTF-8 text)",
    ),
    "champion-file-torn": (
        "champion.json",
        b'{"version": 2, "hist',
        ["approve", "1"],
        "champion.json: corrupt registry file",
    ),
    "champion-file-missing-keys": (
        "champion.json",
        b'{"champion": 2}',
        ["rollback"],
        "champion.json: corrupt registry file (no version, history)",
    ),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_corrupt_registry_file_names_itself_and_the_repair(case, registry_files, capsys):
    name, content, command, fragment = CORRUPTIONS[case]
    (registry_files / name).write_bytes(content)
    before = tree_digest(registry_files)
    code = cli.main(command)
    line = assert_refused(code, 1, capsys.readouterr().err, fragment)
    assert str(registry_files / name) in line and "make repair ENV=local" in line
    assert tree_digest(registry_files) == before, "nothing approved, rejected or rewritten"


def test_repair_sets_the_damage_aside_and_rebuilds_the_champion(registry_files, capsys):
    (registry_files / "versions" / "2.json").write_bytes(b'{"torn')
    (registry_files / "champion.json").write_bytes(b"")
    assert cli.main(["repair"]) == 0
    assert sorted(p.name.split(".")[0] for p in (registry_files / "corrupt").iterdir()) == [
        f"{GROUP}-champion",
        "versions-2",
    ]
    assert Registry(root=paths.registry_dir()).champion(GROUP) == {"version": 1, "history": [1]}
    assert cli.main(["models"]) == 0  # readable again
    assert "Registry repaired: 2 unreadable file(s) set aside." in capsys.readouterr().out


def test_a_registry_write_is_whole_or_absent(registry_files, monkeypatch):
    """Atomic write (write beside, fsync, rename, fsync the folder): a failure mid-write leaves
    the old file whole and no partial file behind."""
    target = registry_files / "champion.json"
    before = target.read_bytes()

    def fails(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fsutil.os, "replace", fails)
    with pytest.raises(OSError, match="disk full"):
        fsutil.write_json(target, {"version": 1, "history": [1]}, durable=True)
    assert target.read_bytes() == before
    assert not [p for p in registry_files.iterdir() if fsutil.is_partial(p)]


CLI_ROWS = {
    # class: (argv, exit code, first-line fragment)
    "port-out-of-range": (["serve", "--port", "99999"], 2, "PORT='99999' is not a usable port"),
    "port-not-a-number": (["serve", "--port", "80a"], 2, "PORT='80a' is not a usable port"),
    "port-privileged": (["deploy", "--port", "80"], 2, "PORT='80' is not a usable port"),
    "version-not-a-number": (["approve", "v3"], 2, "argument version: invalid int value: 'v3'"),
    "version-unknown": (["approve", "42"], 1, "has no version 42"),
    "reject-unknown": (["reject", "7"], 1, "has no version 7"),
    "rollback-without-champion": (["rollback"], 1, "has no champion to roll back"),
    "unknown-command": (["destroy"], 2, "argument command: invalid choice: 'destroy'"),
    "logs-without-a-run": (["logs", "--step", "Train"], 1, "no local execution yet"),
    "smoke-test-without-a-run": (
        ["smoke-test", "--port", "9999"],
        1,
        "no champion is served: make deploy ENV=local",
    ),
    "serve-without-a-champion": (["serve", "--port", "9999"], 1, "no approved version to serve"),
}


@pytest.mark.parametrize("case", sorted(CLI_ROWS))
def test_bad_cli_values_are_refused(case, home, capsys):
    argv, expected, fragment = CLI_ROWS[case]
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    assert_refused(code, expected, capsys.readouterr().err, fragment)
    assert not (home / "registry").exists() or not any((home / "registry").rglob("*.json"))
    assert endpoint.status()["running"] is False


@pytest.fixture
def running_proxy(home):
    port = endpoint.free_port()
    proxy = endpoint.ensure_proxy(port)
    yield proxy
    endpoint.undeploy(out=lambda line: None)


@pytest.mark.parametrize("bad", ["busy", "out-of-range"])
def test_a_serve_on_an_unusable_port_leaves_the_running_endpoint_alone(bad, running_proxy):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1] if bad == "busy" else 99999
        with pytest.raises(endpoint.EndpointError) as error:
            endpoint.ensure_proxy(port)
    message = str(error.value)
    assert "Traceback" not in message and "\n" not in message
    if bad == "busy":
        assert f"127.0.0.1:{port} is already in use" in message
        assert f"keeps serving on port {running_proxy['port']}" in message
    else:
        assert message.startswith("PORT=99999 is not a usable port")
    assert fsutil.pid_alive(running_proxy["pid"]) and endpoint.port_in_use(running_proxy["port"])
    assert json.loads((paths.endpoint_dir() / "proxy.json").read_text()) == running_proxy


def test_a_serve_on_a_free_port_moves_the_endpoint_new_first(running_proxy):
    port = endpoint.free_port()
    moved = endpoint.ensure_proxy(port)
    assert endpoint.port_in_use(port) and moved["pid"] != running_proxy["pid"]
    assert not endpoint.port_in_use(running_proxy["port"])  # the old one went last
