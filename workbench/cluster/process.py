"""Processes and ports: the unprivileged service user, liveness, ownership, stopping."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import ClusterError

SERVICE_USER = "commerce-wb"


@dataclass(frozen=True)
class RunAs:
    """The account nodes run under: the caller, or the service user when root."""

    uid: int
    gid: int
    name: str

    @property
    def is_caller(self) -> bool:
        return self.uid == os.geteuid()


def run_as() -> RunAs:
    """Elasticsearch refuses to run as root: root runs nodes as ``commerce-wb``."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        result = subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ClusterError(
                f"Elasticsearch cannot run as root and creating the user {SERVICE_USER!r} "
                f"failed: {result.stderr.strip()}. Create it, or run as a normal user."
            ) from None
        entry = pwd.getpwnam(SERVICE_USER)
    return RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)


def can_traverse(path: Path, user: RunAs) -> Path | None:
    """The first directory on the way to ``path`` that ``user`` cannot enter, if any."""
    if user.is_caller:
        return None
    groups = {user.gid}
    for directory in [*reversed(path.resolve().parents), path.resolve()]:
        if not directory.is_dir():
            continue
        st = directory.stat()
        if st.st_uid == user.uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return directory
    return None


def chown_tree(path: Path, user: RunAs) -> None:
    if user.is_caller:
        return
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), user.uid, user.gid)
    os.chown(path, user.uid, user.gid)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def is_node_of(pid: int, config_dir: Path) -> bool:
    """True when ``pid`` is an Elasticsearch server started with this config directory."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    wanted = f"ES_PATH_CONF={config_dir}".encode()
    return wanted in environ and b"org.elasticsearch.server" in cmdline


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def stop_pid(pid: int, timeout: float = 60.0) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within ``timeout``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while pid_alive(pid):
        time.sleep(0.1)
