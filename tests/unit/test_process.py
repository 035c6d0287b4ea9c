import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from workbench.cluster.process import RunAs, can_traverse, is_node_of, pid_alive, port_in_use


def test_port_in_use_sees_a_listener() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use(port)
    assert not port_in_use(port)


def test_pid_alive_and_ownership(tmp_path: Path) -> None:
    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)
    # This test process is no Elasticsearch node, whatever config dir is asked about.
    assert not is_node_of(os.getpid(), tmp_path)


def test_can_traverse_finds_the_private_directory() -> None:
    # pytest's tmp_path sits under a 0700 directory; this test needs an open path.
    with tempfile.TemporaryDirectory(dir="/tmp") as top:
        Path(top).chmod(0o755)
        _check_traversal(Path(top))


def _check_traversal(top: Path) -> None:
    private = top / "private"
    target = private / "inside"
    target.mkdir(parents=True)
    private.chmod(0o700)
    stranger = RunAs(uid=os.geteuid() + 4242, gid=os.getegid() + 4242, name="stranger")
    try:
        assert can_traverse(target, stranger) == private.resolve()
        private.chmod(0o711)
        assert can_traverse(target, stranger) is None
        me = RunAs(uid=os.geteuid(), gid=os.getegid(), name="me")
        private.chmod(0o700)
        assert can_traverse(target, me) is None
    finally:
        private.chmod(0o755)
