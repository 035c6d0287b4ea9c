from pathlib import Path

import pytest

from workbench.cluster.java import (
    REQUIRED_MODULES,
    JavaHome,
    Rejected,
    find_java,
    inspect,
    java_major,
    parse_release,
)
from workbench.errors import JavaNotFoundError


def make_jdk(root: Path, name: str, version: str, modules: list[str] | None = None) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    lines = [f'JAVA_VERSION="{version}"']
    if modules is not None:
        lines.append(f'MODULES="{" ".join(modules)}"')
    (home / "release").write_text("\n".join(lines) + "\n")
    return home


def test_parse_release() -> None:
    info = parse_release('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="25.0.3"\nOS_ARCH=x86_64\n')
    assert info == {
        "IMPLEMENTOR": "Eclipse Adoptium",
        "JAVA_VERSION": "25.0.3",
        "OS_ARCH": "x86_64",
    }


@pytest.mark.parametrize(
    ("version", "major"),
    [("25.0.3", 25), ("21", 21), ("1.8.0_402", 8), ("17.0.15", 17), ("22-ea", 22)],
)
def test_java_major(version: str, major: int) -> None:
    assert java_major(version) == major


def test_inspect_judges_version_and_modules(tmp_path: Path) -> None:
    assert isinstance(inspect(make_jdk(tmp_path, "jdk25", "25.0.3"), "t"), JavaHome)
    old = inspect(make_jdk(tmp_path, "jdk17", "17.0.15"), "t")
    assert isinstance(old, Rejected)
    assert "older than 21" in old.reason
    trimmed = inspect(make_jdk(tmp_path, "jlinked", "25.0.2", ["java.base", "jdk.attach"]), "t")
    assert isinstance(trimmed, Rejected)
    assert "jdk.jlink" in trimmed.reason
    full = make_jdk(tmp_path, "full", "21.0.5", ["java.base", *REQUIRED_MODULES])
    assert isinstance(inspect(full, "t"), JavaHome)
    assert isinstance(inspect(tmp_path / "nothing", "t"), Rejected)


def test_es_java_home_wins_and_must_be_suitable(tmp_path: Path) -> None:
    jvm = tmp_path / "jvm"
    make_jdk(jvm, "temurin-25", "25.0.3")
    chosen = make_jdk(tmp_path, "mine", "21.0.1")
    assert find_java({"ES_JAVA_HOME": str(chosen)}, jvm).path == chosen
    bad = make_jdk(tmp_path, "old", "17.0.1")
    with pytest.raises(JavaNotFoundError, match=r"ES_JAVA_HOME=.*older than 21"):
        find_java({"ES_JAVA_HOME": str(bad)}, jvm)


def test_newest_system_jdk_is_chosen(tmp_path: Path) -> None:
    jvm = tmp_path / "jvm"
    make_jdk(jvm, "java-17", "17.0.15")
    make_jdk(jvm, "temurin-21", "21.0.4")
    make_jdk(jvm, "temurin-25", "25.0.3")
    found = find_java({}, jvm)
    assert found.path.name == "temurin-25"
    assert found.major == 25


def test_nothing_suitable_explains_every_candidate(tmp_path: Path) -> None:
    jvm = tmp_path / "jvm"
    make_jdk(jvm, "java-17", "17.0.15")
    with pytest.raises(JavaNotFoundError) as err:
        find_java({}, jvm)
    message = str(err.value)
    assert "java-17" in message
    assert "older than 21" in message
    assert "ES_JAVA_HOME" in message
