"""Bad input gets the API's error code and message; no node gets a clear error naming `meshpeer run`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from mesh import Mesh

from meshpeer import Client, MeshPeerError

UNKNOWN_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def error_of(call: Callable[[], object]) -> MeshPeerError:
    with pytest.raises(MeshPeerError) as caught:
        call()
    return caught.value


def test_bad_input_gets_the_api_error(mesh: Mesh) -> None:
    with Client(mesh.home("ada")) as ada:
        ben = mesh.dids["ben"]
        error = error_of(lambda: ada.knock(ben, "task.request", ""))
        assert (error.status, error.code) == (400, "bad_request") and error.message

        error = error_of(lambda: ada.knock("not-a-did", "task.request", "hello"))
        assert error.code == "bad_request"

        error = error_of(lambda: ada.messages(0, limit=501))
        assert (error.status, error.code) == (400, "bad_request") and "limit" in error.message

        error = error_of(lambda: ada.approve("no-such-knock"))
        assert (error.status, error.code) == (404, "not_found")

        error = error_of(lambda: ada.sent("0" * 32))
        assert (error.status, error.code) == (404, "not_found")

        # A chat.message body must be {"text": ...}: the intent's schema refuses anything else.
        error = error_of(lambda: ada.send(ben, "chat.message", {"txt": "typo"}))
        assert (error.status, error.code) == (400, "bad_request") and "txt" in error.message

        error = error_of(lambda: ada.send(ben, "no such intent", {"text": "hi"}))
        assert (error.status, error.code) == (400, "bad_request") and "intent" in error.message

        error = error_of(lambda: ada.send(UNKNOWN_DID, "chat.message", {"text": "hi"}))
        assert (error.status, error.code) == (403, "forbidden") and "knock first" in error.message

        error = error_of(lambda: ada.send(ben, "chat.message", {"text": "x" * 300_000}))
        assert (error.status, error.code) == (413, "too_large")

        with pytest.raises(ValueError):
            ada.find("legal-translation", did=ben)


def test_a_wrong_token_is_unauthorized(mesh: Mesh) -> None:
    url = json.loads((mesh.home("ada") / "api.json").read_text())["url"]
    with Client(url=url, token="0" * 64) as client:
        error = error_of(client.status)
        assert (error.status, error.code) == (401, "unauthorized")


def test_no_node_says_how_to_start_one(tmp_path: Path) -> None:
    with Client(tmp_path) as client:
        error = error_of(client.status)
        assert error.code == "not_running" and error.status == 0
        assert "meshpeer run" in error.message and str(tmp_path) in error.message

    # An api.json left by a node that has exited.
    (tmp_path / "api.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": 2**22 + 12345}))
    (tmp_path / "api-token").write_text("0" * 64)
    with Client(tmp_path) as client:
        error = error_of(client.status)
        assert error.code == "not_running" and "has exited" in error.message

    # A node that is gone without removing its file (killed): the port does not answer.
    with Client(url="http://127.0.0.1:9", token="0" * 64) as client:
        error = error_of(client.status)
        assert error.code == "not_running" and "meshpeer run" in error.message


def test_the_data_directory_comes_from_meshpeer_home(mesh: Mesh, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESHPEER_HOME", str(mesh.home("ben")))
    with Client() as client:
        assert client.status().did == mesh.dids["ben"]
