"""local_moto.server: moto's server on a port the OS picks, answering before the block starts,
gone after it; a server that dies or never answers is reported with the tail of its log."""

from __future__ import annotations

import json
import socket

import pytest

import local_moto.server as server
from local_moto.server import MotoStartError, running_moto

ACCOUNT = "123456789012"


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def account_of(url: str) -> str:
    """The account moto plays, asked as a client asks AWS (STS GetCallerIdentity)."""
    import boto3

    sts = boto3.client(
        "sts",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return sts.get_caller_identity()["Account"]


@pytest.mark.slow
def test_two_servers_run_at_once_on_their_own_ports_for_their_accounts_and_stop(tmp_path):
    with (
        running_moto(ACCOUNT, tmp_path / "a" / "moto.log") as first,
        running_moto("210987654321", tmp_path / "b" / "moto.log") as second,
    ):
        assert first != second
        assert account_of(first) == ACCOUNT
        assert account_of(second) == "210987654321"
    assert not accepts_connections(port_of(first))
    assert not accepts_connections(port_of(second))


@pytest.mark.slow
def test_a_port_taken_between_picking_and_binding_is_picked_again(tmp_path, monkeypatch):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        picks = iter([taken, server.free_port()])
        monkeypatch.setattr(server, "free_port", lambda: next(picks))
        with running_moto(ACCOUNT, tmp_path / "moto.log") as url:
            assert port_of(url) != taken
            assert server.answers(url)


def test_the_servers_environment_is_clean_but_for_moto_settings(tmp_path, monkeypatch):
    """No AWS_* variable or profile of the caller reaches moto; MOTO_* settings given do."""
    monkeypatch.setenv("AWS_PROFILE", "someones-real-profile")
    seen = tmp_path / "env.json"
    prelude = f"import json, os; open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ))); raise SystemExit(3)"
    with (
        pytest.raises(MotoStartError),
        running_moto(
            ACCOUNT,
            tmp_path / "moto.log",
            prelude=prelude,
            env={"MOTO_RECORDER_FILEPATH": "r.jsonl"},
        ),
    ):
        pass
    environment = json.loads(seen.read_text())
    assert environment["MOTO_ACCOUNT_ID"] == ACCOUNT
    assert environment["MOTO_RECORDER_FILEPATH"] == "r.jsonl"
    assert not [name for name in environment if name.startswith("AWS_")]


def test_a_server_that_exits_is_reported_with_its_exit_code_and_log_tail(tmp_path):
    prelude = "print('\\n'.join(f'line {i}' for i in range(50))); raise SystemExit(7)"
    with (
        pytest.raises(MotoStartError) as failure,
        running_moto(ACCOUNT, tmp_path / "moto.log", prelude=prelude),
    ):
        pytest.fail("the block must not run when the server never answered")
    message = str(failure.value)
    assert "exited with code 7" in message
    assert str(tmp_path / "moto.log") in message
    assert "line 49" in message and "line 29" not in message  # the tail, not the whole log


def test_a_server_that_never_answers_is_stopped_at_the_deadline(tmp_path, monkeypatch):
    started = []
    real_launch = server.launch
    monkeypatch.setattr(server, "launch", lambda *a: started.append(real_launch(*a)) or started[-1])
    prelude = "print('still starting', flush=True); import time; time.sleep(600)"
    with (
        pytest.raises(MotoStartError) as failure,
        running_moto(ACCOUNT, tmp_path / "moto.log", prelude=prelude, timeout=1),
    ):
        pass
    assert "did not answer" in str(failure.value) and "within 1 s" in str(failure.value)
    assert "still starting" in str(failure.value)
    assert started[0].poll() is not None  # not left running


def test_the_server_is_stopped_when_the_block_raises(tmp_path, monkeypatch):
    started = []
    real_launch = server.launch
    monkeypatch.setattr(server, "launch", lambda *a: started.append(real_launch(*a)) or started[-1])
    monkeypatch.setattr(server, "answers", lambda url: True)  # "ready" at once: no moto import
    prelude = "import time; time.sleep(600)"
    with pytest.raises(KeyError), running_moto(ACCOUNT, tmp_path / "moto.log", prelude=prelude):
        raise KeyError("the test failed")
    assert started[0].poll() is not None


def test_missing_moto_is_a_one_line_error_naming_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(server.importlib.util, "find_spec", lambda name: None)
    expected = r"moto\[server\] is not installed in .*run `make setup`\.$"
    with (
        pytest.raises(MotoStartError, match=expected),
        running_moto(ACCOUNT, tmp_path / "moto.log"),
    ):
        pass
