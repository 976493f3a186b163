"""TLS is always verified: a target with a certificate the system does not trust is refused
before any request is spent, and ``--ca-bundle`` trusts it (a private staging CA)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conformance.cli import main
from conformance.reference.config import ServerConfig
from conformance.reference.runner import running_server

KEY = "sk-tls-self-test-0123456789"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, valid for a day."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    command += ["-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1"]
    command += ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


def test_an_untrusted_certificate_is_one_line_and_exit_2(certificate, monkeypatch, capsys):
    monkeypatch.setenv("CHAT_CONFORMANCE_API_KEY", KEY)
    with running_server(ServerConfig(api_key=KEY), tls=certificate) as server:
        assert server.base_url.startswith("https://")
        code = main(["run", "--base-url", server.base_url, "--model", "m", "--only", "AUTH"])
    error = capsys.readouterr().err.strip()
    assert code == 2
    assert len(error.splitlines()) == 1 and "certificate" in error.lower()


def test_a_ca_bundle_makes_the_certificate_trusted(certificate, monkeypatch, tmp_path):
    monkeypatch.setenv("CHAT_CONFORMANCE_API_KEY", KEY)
    with running_server(ServerConfig(api_key=KEY), tls=certificate) as server:
        arguments = ["run", "--base-url", server.base_url, "--model", "m", "--only", "AUTH"]
        code = main([*arguments, "--ca-bundle", certificate[0], "--reports-dir", str(tmp_path)])
    assert code == 0
