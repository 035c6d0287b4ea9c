"""Security for a local cluster: TLS and a password, made with the distribution's tools.

``elasticsearch-certutil`` makes a CA and one certificate for ``localhost``/``127.0.0.1``
(PEM, under ``clusters/<name>/security``); every node serves HTTP and transport over TLS
with it. The ``elastic`` user's password is generated once, kept in
``security/elastic.password`` (mode 0600) and handed to the nodes through each keystore's
``bootstrap.password``, read from standard input so that it never appears on a command
line. It is never printed: clients read it through ``ES_PASSWORD_FILE``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from workbench.cluster.java import JavaHome
from workbench.cluster.nodeconfig import NodeSpec
from workbench.errors import ClusterError

USERNAME = "elastic"


@dataclass(frozen=True)
class SecurityFiles:
    """Where a cluster's CA, node certificate and password live."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca" / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca" / "ca.key"

    @property
    def node_cert(self) -> Path:
        return self.directory / "node" / "node.crt"

    @property
    def node_key(self) -> Path:
        return self.directory / "node" / "node.key"

    @property
    def password_file(self) -> Path:
        return self.directory / "elastic.password"

    def client_env(self, url: str) -> dict[str, str]:
        """The variables that point the workbench at the secured cluster."""
        return {
            "ES_URL": url,
            "ES_USERNAME": USERNAME,
            "ES_PASSWORD_FILE": str(self.password_file),
            "ES_CA_CERTS": str(self.ca_cert),
        }


def node_settings() -> dict[str, object]:
    """``elasticsearch.yml`` settings for TLS on HTTP and transport (paths in config/)."""
    settings: dict[str, object] = {"xpack.security.enabled": True}
    for layer in ("http", "transport"):
        settings[f"xpack.security.{layer}.ssl.enabled"] = True
        settings[f"xpack.security.{layer}.ssl.certificate"] = "certs/node.crt"
        settings[f"xpack.security.{layer}.ssl.key"] = "certs/node.key"
        settings[f"xpack.security.{layer}.ssl.certificate_authorities"] = ["certs/ca.crt"]
    settings["xpack.security.transport.ssl.verification_mode"] = "certificate"
    return settings


def _tool(
    es_home: Path,
    java: JavaHome,
    args: list[str],
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> None:
    """Run one of the distribution's command-line tools; stdin is closed unless given."""
    result = subprocess.run(
        [str(es_home / "bin" / args[0]), *args[1:]],
        input=stdin.encode() if stdin is not None else None,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        env={**os.environ, "ES_JAVA_HOME": str(java.path), **(env or {})},
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace").strip().splitlines()
        raise ClusterError(
            f"{args[0]} {args[1]} failed (exit {result.returncode}):\n" + "\n".join(output[-10:])
        )


def _unzip(archive: Path, into: Path) -> None:
    """Extract certutil's archive; private keys are readable by their owner only."""
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(into)
        for name in zf.namelist():
            if name.endswith(".key"):
                (into / name).chmod(0o600)
    archive.unlink()


def ensure_files(directory: Path, es_home: Path, java: JavaHome) -> SecurityFiles:
    """The cluster's CA, node certificate and password, made on first use only."""
    files = SecurityFiles(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if not files.ca_cert.is_file():
        archive = directory / "ca.zip"
        _tool(
            es_home,
            java,
            ["elasticsearch-certutil", "ca", "--pem", "--silent", "--out", str(archive)],
        )
        _unzip(archive, directory)
    if not files.node_cert.is_file():
        archive = directory / "node.zip"
        _tool(
            es_home,
            java,
            [
                "elasticsearch-certutil",
                "cert",
                "--pem",
                "--silent",
                "--ca-cert",
                str(files.ca_cert),
                "--ca-key",
                str(files.ca_key),
                "--dns",
                "localhost",
                "--ip",
                "127.0.0.1",
                "--name",
                "node",
                "--out",
                str(archive),
            ],
        )
        _unzip(archive, directory)
    if not files.password_file.is_file():
        descriptor = os.open(files.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as fh:
            fh.write(secrets.token_urlsafe(24) + "\n")
    return files


def install(node: NodeSpec, files: SecurityFiles, es_home: Path, java: JavaHome) -> None:
    """Copy the certificates into the node's config and set its bootstrap password."""
    certs = node.config_dir / "certs"
    certs.mkdir(exist_ok=True)
    for source in (files.ca_cert, files.node_cert, files.node_key):
        shutil.copyfile(source, certs / source.name)
    (certs / files.node_key.name).chmod(0o600)
    conf = {"ES_PATH_CONF": str(node.config_dir)}
    if not (node.config_dir / "elasticsearch.keystore").is_file():
        _tool(es_home, java, ["elasticsearch-keystore", "create"], conf)
    password = files.password_file.read_text().strip()
    _tool(
        es_home,
        java,
        ["elasticsearch-keystore", "add", "--stdin", "--force", "bootstrap.password"],
        conf,
        stdin=password,
    )
