"""Fetch, verify and unpack Elastic's test distribution from Maven Central.

The artifact is ``org.elasticsearch.distribution.integ-test-zip:elasticsearch:<v>:zip``:
the real server with transport, x-pack core and security, and no bundled JDK. Maven
Central publishes no checksum files for the 9.x zips, so the pinned version's SHA-256
is recorded here; for any other version a published ``.sha512``/``.sha1`` is required.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx

from workbench.errors import DownloadError

DEFAULT_VERSION = "9.5.3"
PINNED_SHA256 = {
    "9.5.3": "bec49f3b8d00e75c8d1cec85c35298635ec9fbd3ae80ef5aeb6bc05abdb3db2d",
}
GROUP_PATH = "org/elasticsearch/distribution/integ-test-zip/elasticsearch"
ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch"
MAVEN_CENTRAL = "https://repo1.maven.org/maven2"

Progress = Callable[[int, int | None], None]


def maven_url() -> str:
    return os.environ.get("WORKBENCH_MAVEN_URL", MAVEN_CENTRAL).rstrip("/")


def artifact_url(version: str, base: str | None = None) -> str:
    return f"{base or maven_url()}/{GROUP_PATH}/{version}/elasticsearch-{version}.zip"


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expected_checksum(version: str, base: str | None = None) -> tuple[str, str]:
    """``(algorithm, hex digest)`` to verify the zip against: pinned, else published."""
    if version in PINNED_SHA256:
        return "sha256", PINNED_SHA256[version]
    url = artifact_url(version, base)
    for algorithm in ("sha512", "sha256", "sha1"):
        try:
            response = httpx.get(f"{url}.{algorithm}", timeout=30, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise DownloadError(f"cannot reach {url}.{algorithm}: {exc}") from exc
        if response.status_code == 200 and response.text.strip():
            return algorithm, response.text.split()[0].strip().lower()
    raise DownloadError(
        f"Maven Central publishes no checksum for Elasticsearch {version} and the workbench "
        f"has none pinned; use --version {DEFAULT_VERSION}, whose SHA-256 is pinned."
    )


def verify(path: Path, version: str, base: str | None = None) -> None:
    algorithm, expected = expected_checksum(version, base)
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise DownloadError(
            f"{path.name}: {algorithm} is {actual}, expected {expected}. The download is "
            f"corrupt or not the published artifact; it was deleted, run the command again."
        )


def _download_https(url: str, target: Path, progress: Progress | None) -> None:
    try:
        with httpx.stream("GET", url, timeout=60, follow_redirects=True) as response:
            if response.status_code == 404:
                raise DownloadError(f"{url} does not exist: is the version right?")
            response.raise_for_status()
            total = int(response.headers.get("content-length", 0)) or None
            done = 0
            with target.open("wb") as fh:
                for chunk in response.iter_bytes(1 << 20):
                    fh.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
    except httpx.HTTPError as exc:
        raise DownloadError(f"downloading {url} failed: {exc}") from exc


def _download_maven(version: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy",
                f"-Dartifact={ARTIFACT}:{version}:zip",
                f"-DoutputDirectory={out}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        produced = Path(out) / f"elasticsearch-{version}.zip"
        if result.returncode != 0 or not produced.is_file():
            tail = (result.stdout + result.stderr).strip().splitlines()[-10:]
            raise DownloadError("mvn could not fetch the distribution:\n" + "\n".join(tail))
        shutil.move(produced, target)


def fetch(
    downloads: Path,
    version: str = DEFAULT_VERSION,
    *,
    use_maven: bool | None = None,
    progress: Progress | None = None,
) -> Path:
    """The verified zip for ``version``, downloaded once into ``downloads``."""
    downloads.mkdir(parents=True, exist_ok=True)
    target = downloads / f"elasticsearch-{version}.zip"
    if target.is_file():
        return target
    partial = target.with_suffix(".zip.part")
    partial.unlink(missing_ok=True)
    custom_repo = "WORKBENCH_MAVEN_URL" in os.environ
    if use_maven is None:
        use_maven = shutil.which("mvn") is not None and not custom_repo
    try:
        if use_maven:
            _download_maven(version, partial)
        else:
            _download_https(artifact_url(version), partial, progress)
        verify(partial, version)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(target)
    return target


def unpack(archive: Path, dist_dir: Path, version: str) -> Path:
    """Extract once into ``dist_dir/elasticsearch-<version>``, readable by every user."""
    home = dist_dir / f"elasticsearch-{version}"
    marker = home / ".workbench-complete"
    if marker.is_file():
        return home
    dist_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dist_dir))
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                extracted = Path(zf.extract(info, staging))
                unix_mode = info.external_attr >> 16
                if info.is_dir():
                    extracted.chmod(0o755)
                else:
                    extracted.chmod(0o755 if unix_mode & 0o111 else 0o644)
        top = staging / f"elasticsearch-{version}"
        if not (top / "bin" / "elasticsearch").is_file():
            raise DownloadError(f"{archive} does not contain elasticsearch-{version}/bin")
        (top / ".workbench-complete").write_text(version, encoding="utf-8")
        if home.exists():
            shutil.rmtree(home)
        top.rename(home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    dist_dir.chmod(0o755)
    return home
