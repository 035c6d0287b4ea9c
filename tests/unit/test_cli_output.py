import pytest

from workbench import cli


def test_messages_with_brackets_are_printed_not_parsed_as_markup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # An Elasticsearch error names the request path in brackets; rich would take
    # "[/_cluster/health]" for a closing tag and raise instead of printing it.
    message = "unable to authenticate user [elastic] for REST request [/_cluster/health]"
    cli._step(message)
    assert message in capsys.readouterr().err.replace("\n", " ")
