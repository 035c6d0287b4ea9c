import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.cluster import distribution
from workbench.errors import DownloadError

VERSION = "0.0.1-test"


def make_zip(path: Path, version: str = VERSION) -> bytes:
    with zipfile.ZipFile(path, "w") as zf:
        script = zipfile.ZipInfo(f"elasticsearch-{version}/bin/elasticsearch")
        script.external_attr = 0o755 << 16
        zf.writestr(script, "#!/bin/sh\n")
        zf.writestr(f"elasticsearch-{version}/config/jvm.options", "-Xss1m\n")
    return path.read_bytes()


@pytest.fixture
def maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A loopback HTTP server laid out like Maven Central."""
    root = tmp_path / "repo"
    folder = root / distribution.GROUP_PATH / VERSION
    folder.mkdir(parents=True)
    handler = type("H", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("WORKBENCH_MAVEN_URL", f"http://127.0.0.1:{server.server_port}")
    yield folder
    server.shutdown()


def test_download_verifies_published_checksum(maven: Path, tmp_path: Path) -> None:
    data = make_zip(maven / f"elasticsearch-{VERSION}.zip")
    (maven / f"elasticsearch-{VERSION}.zip.sha512").write_text(hashlib.sha512(data).hexdigest())
    seen: list[int] = []
    got = distribution.fetch(
        tmp_path / "dl", VERSION, progress=lambda done, total: seen.append(done)
    )
    assert got.read_bytes() == data
    assert seen[-1] == len(data)
    # Cached: the second call downloads nothing even if the server changed.
    (maven / f"elasticsearch-{VERSION}.zip").write_bytes(b"changed")
    assert distribution.fetch(tmp_path / "dl", VERSION).read_bytes() == data


def test_checksum_mismatch_deletes_download(maven: Path, tmp_path: Path) -> None:
    make_zip(maven / f"elasticsearch-{VERSION}.zip")
    (maven / f"elasticsearch-{VERSION}.zip.sha1").write_text("0" * 40 + "  file\n")
    with pytest.raises(DownloadError, match=r"sha1 is .* expected 0000"):
        distribution.fetch(tmp_path / "dl", VERSION)
    assert list((tmp_path / "dl").iterdir()) == []


def test_no_checksum_and_not_pinned_is_refused(maven: Path, tmp_path: Path) -> None:
    make_zip(maven / f"elasticsearch-{VERSION}.zip")
    with pytest.raises(DownloadError, match="publishes no checksum"):
        distribution.fetch(tmp_path / "dl", VERSION)


def test_missing_version_is_explained(maven: Path, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="does not exist"):
        distribution.fetch(tmp_path / "dl", "0.0.0-absent", use_maven=False)


def test_pinned_version_has_sha256() -> None:
    assert distribution.DEFAULT_VERSION in distribution.PINNED_SHA256
    assert len(distribution.PINNED_SHA256[distribution.DEFAULT_VERSION]) == 64


def test_unpack_keeps_exec_bits_and_is_idempotent(tmp_path: Path) -> None:
    archive = tmp_path / "es.zip"
    make_zip(archive)
    home = distribution.unpack(archive, tmp_path / "dist", VERSION)
    script = home / "bin" / "elasticsearch"
    assert script.stat().st_mode & 0o111
    assert (home / "config" / "jvm.options").stat().st_mode & 0o777 == 0o644
    script.write_text("#!/bin/sh\n# kept\n")
    assert distribution.unpack(archive, tmp_path / "dist", VERSION) == home
    assert "kept" in script.read_text()


def test_unpack_rejects_foreign_archive(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("something/else.txt", "x")
    with pytest.raises(DownloadError, match="does not contain"):
        distribution.unpack(archive, tmp_path / "dist", VERSION)
