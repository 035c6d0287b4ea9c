"""Elasticsearch clients built from :class:`~workbench.config.Settings`."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from workbench.config import Settings


def es_client(settings: Settings | None = None, **overrides: Any) -> Elasticsearch:
    """An official client for the cluster at ``settings.es_url``.

    Certificates are verified for https unless ``ES_VERIFY_CERTS=false``; requests time
    out after 30 s and are retried on timeouts and connection errors.
    """
    settings = settings or Settings.from_env()
    auth = settings.es_auth
    kwargs: dict[str, Any] = {
        "request_timeout": 30,
        "retry_on_timeout": True,
        "max_retries": 3,
    }
    if auth.api_key:
        kwargs["api_key"] = auth.api_key.reveal()
    elif auth.username and auth.password:
        kwargs["basic_auth"] = (auth.username, auth.password.reveal())
    if settings.es_url.startswith("https"):
        kwargs["verify_certs"] = settings.es_verify_certs
        if settings.es_ca_certs:
            kwargs["ca_certs"] = str(settings.es_ca_certs)
        if not settings.es_verify_certs:
            kwargs["ssl_show_warn"] = False
    kwargs.update(overrides)
    return Elasticsearch(settings.es_url, **kwargs)
