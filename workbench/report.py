"""Execute notebooks with papermill and render them as HTML that works offline."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from traitlets import default

# Script tags pointing at CDNs (or emptied above); reports must load nothing remote.
_REMOTE_SCRIPT = re.compile(r"<script[^>]+src=\"(https?://[^\"]*)?\"[^>]*>\s*</script>", re.I)


class PrivateKernelManager(AsyncKernelManager):
    """A kernel that talks to its runner over Unix sockets in a directory only this user
    can enter, instead of TCP ports on loopback that every local user can reach (and
    that ipykernel warns about on every run)."""

    @default("transport")
    def _ipc(self) -> str:
        return "ipc"

    @default("ip")
    def _private_path(self) -> str:
        return str(Path(tempfile.mkdtemp(prefix="workbench-kernel-")) / "kernel")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(Path(self.ip).parent, ignore_errors=True)


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
        kernel_manager_class=PrivateKernelManager,
    )
    html = render_html(executed, executed.with_suffix(".html"), hide_input=hide_input)
    return Executed(notebook=executed, html=html)
