import logging
import pickle
import traceback
from pathlib import Path

import pytest

from workbench.config import MASK, Credentials, Secret, Settings, default_home
from workbench.connect import es_client
from workbench.errors import ConfigError

KEY = "c2VjcmV0LWtleS1pZDpzZWNyZXQta2V5LXZhbHVl"
PASSWORD = "correct-horse-battery-staple"


def test_defaults_point_at_local_node(tmp_path: Path) -> None:
    s = Settings.from_env({"WORKBENCH_HOME": str(tmp_path)})
    assert s.es_url == "http://127.0.0.1:9200"
    assert s.es_auth.mode == "none"
    assert s.es_verify_certs is True
    assert s.kibana_url is None
    assert s.home == tmp_path


def test_default_home_for_root_is_reachable_by_other_users() -> None:
    home = default_home()
    assert "commerce-workbench" in str(home)
    if home.is_relative_to("/var/cache"):
        assert not str(home).startswith("/root")


def test_api_key_and_basic_auth_are_exclusive() -> None:
    with pytest.raises(ConfigError, match="either ES_API_KEY or ES_USERNAME"):
        Settings.from_env({"ES_API_KEY": KEY, "ES_USERNAME": "elastic", "ES_PASSWORD": PASSWORD})


def test_username_needs_password() -> None:
    with pytest.raises(ConfigError, match="must be set together"):
        Settings.from_env({"ES_USERNAME": "elastic"})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host", "not an http"),
        ("localhost:9200", "not an http"),
        ("https://u:p@host:9200", "must not carry credentials"),
    ],
)
def test_bad_urls_are_explained(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"ES_URL": url})


def test_boolean_flags() -> None:
    assert Settings.from_env({"ES_VERIFY_CERTS": "false"}).es_verify_certs is False
    assert Settings.from_env({"ES_VERIFY_CERTS": "ON"}).es_verify_certs is True
    with pytest.raises(ConfigError, match="not a boolean"):
        Settings.from_env({"ES_VERIFY_CERTS": "maybe"})


def test_missing_ca_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a file"):
        Settings.from_env({"ES_CA_CERTS": str(tmp_path / "absent.pem")})


def test_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    s = Settings.from_env({"ES_USERNAME": "elastic", "ES_PASSWORD_FILE": str(secret)})
    assert s.es_auth.password is not None
    assert s.es_auth.password.reveal() == PASSWORD
    (tmp_path / "empty").write_text("")
    with pytest.raises(ConfigError, match="empty"):
        Settings.from_env({"ES_API_KEY_FILE": str(tmp_path / "empty")})
    with pytest.raises(ConfigError, match="cannot be read"):
        Settings.from_env({"ES_API_KEY_FILE": str(tmp_path / "nope")})


def test_secrets_never_print() -> None:
    s = Settings.from_env(
        {
            "ES_USERNAME": "elastic",
            "ES_PASSWORD": PASSWORD,
            "KIBANA_API_KEY": KEY,
            "KIBANA_URL": "https://kb:5601",
        }
    )
    for text in (repr(s), str(s), str(s.describe()), repr(s.es_auth), f"{s.kibana_auth}"):
        assert PASSWORD not in text
        assert KEY not in text
    assert MASK in repr(s)
    assert s.describe()["es_auth"] == "basic"
    assert s.describe()["kibana_auth"] == "api_key"
    with pytest.raises(TypeError):
        pickle.dumps(Secret(PASSWORD))


def test_secrets_absent_from_tracebacks() -> None:
    s = Settings.from_env({"ES_API_KEY": KEY})
    try:
        raise RuntimeError(f"failed with {s!r} and {s.es_auth.api_key}")
    except RuntimeError:
        text = traceback.format_exc()
    assert KEY not in text
    assert MASK in text


def test_secrets_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    s = Settings.from_env({"ES_USERNAME": "elastic", "ES_PASSWORD": PASSWORD})
    basic_token = s.es_auth.secrets()[-1]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("elastic_transport.transport").debug("sent password=%s", PASSWORD)
        logging.getLogger("anything.else").warning("Authorization: Basic %s", basic_token)
    assert PASSWORD not in caplog.text
    assert basic_token not in caplog.text
    assert caplog.text.count(MASK) == 2


def test_client_carries_credentials_without_showing_them() -> None:
    s = Settings.from_env({"ES_URL": "https://es.example:9200", "ES_API_KEY": KEY})
    client = es_client(s)
    assert client._headers["authorization"] == f"ApiKey {KEY}"
    assert KEY not in repr(client)
    basic = Settings.from_env({"ES_USERNAME": "elastic", "ES_PASSWORD": PASSWORD})
    assert es_client(basic)._headers["authorization"].startswith("Basic ")


def test_credentials_modes() -> None:
    assert Credentials().mode == "none"
    assert Credentials(api_key=Secret("k" * 8)).mode == "api_key"
    assert Credentials(username="u", password=Secret("p" * 8)).mode == "basic"
