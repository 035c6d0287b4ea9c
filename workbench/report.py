"""Execute notebooks with papermill and render them as HTML that works offline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbconvert import HTMLExporter

# Script tags pointing at CDNs (or emptied above); reports must load nothing remote.
_REMOTE_SCRIPT = re.compile(r"<script[^>]+src=\"(https?://[^\"]*)?\"[^>]*>\s*</script>", re.I)


@dataclass(frozen=True)
class Executed:
    notebook: Path
    html: Path


def render_html(notebook: Path, target: Path, hide_input: bool = False) -> Path:
    """Write ``notebook`` as a self-contained HTML page (plotly.js is in the outputs)."""
    exporter = HTMLExporter(template_name="lab", exclude_input=hide_input)
    exporter.mathjax_url = ""
    exporter.require_js_url = ""
    exporter.widget_renderer_url = ""
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    body = _REMOTE_SCRIPT.sub("", body)
    target.write_text(body, encoding="utf-8")
    return target


def execute(
    source: Path,
    out_dir: Path,
    parameters: dict[str, Any] | None = None,
    *,
    hide_input: bool = False,
    progress: bool = True,
) -> Executed:
    """Run ``source`` in a fresh kernel, save it to ``out_dir`` and render its HTML."""
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / source.name
    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters=parameters or {},
        cwd=str(source.parent),
        progress_bar=progress,
        kernel_name="python3",
    )
    html = render_html(executed, executed.with_suffix(".html"), hide_input=hide_input)
    return Executed(notebook=executed, html=html)
