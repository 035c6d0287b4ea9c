"""Run papermill runbooks unattended: executed notebook, HTML report and verdict.json.

A runbook's last step calls :func:`emit` with its verdict
(``{"runbook", "status": "pass"|"fail", "metrics": {...}, "findings": [...]}``);
:func:`run` executes the notebook in a fresh kernel, renders the HTML report with the
code hidden, and returns the verdict. Credentials never travel as parameters: the
kernel inherits the environment, and parameters named like secrets are refused.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papermill.exceptions import PapermillExecutionError

from workbench.errors import WorkbenchError
from workbench.report import execute, render_html

RUNBOOKS = Path(__file__).resolve().parent.parent / "runbooks"
RUN_DIR_ENV = "WORKBENCH_RUN_DIR"
SECRET_NAME = re.compile(r"pass(word)?|secret|token|api_?key|credential", re.I)


class RunbookError(WorkbenchError):
    """The runbook itself failed (not its verdict): a cell raised, or no verdict came."""


@dataclass(frozen=True)
class RunResult:
    verdict: dict[str, Any]
    notebook: Path
    html: Path
    verdict_path: Path

    @property
    def passed(self) -> bool:
        return bool(self.verdict["status"] == "pass")


def resolve(name: str) -> Path:
    """A runbook by name (``capacity_planning``) or by path."""
    path = Path(name)
    if path.suffix == ".ipynb" and path.is_file():
        return path
    candidate = RUNBOOKS / f"{path.stem}.ipynb"
    if candidate.is_file():
        return candidate
    known = ", ".join(sorted(p.stem for p in RUNBOOKS.glob("*.ipynb"))) or "none"
    raise RunbookError(f"no runbook {name!r}; known runbooks: {known}")


def check_parameters(parameters: dict[str, Any]) -> None:
    for name in parameters:
        if SECRET_NAME.search(name):
            raise RunbookError(
                f"parameter {name!r} looks like a credential. Credentials come from the "
                f"environment (ES_API_KEY, ES_PASSWORD, ...), never from parameters, so "
                f"that they stay out of executed notebooks and reports."
            )


def emit(runbook: str, status: str, metrics: dict[str, Any], findings: list[str]) -> dict[str, Any]:
    """The runbook's verdict: written to ``$WORKBENCH_RUN_DIR/verdict.json`` when run by
    :func:`run`, and returned for display in any case."""
    if status not in {"pass", "fail"}:
        raise ValueError(f"status must be 'pass' or 'fail', not {status!r}")
    verdict = {
        "runbook": runbook,
        "status": status,
        "metrics": metrics,
        "findings": [str(f) for f in findings],
    }
    run_dir = os.environ.get(RUN_DIR_ENV)
    if run_dir:
        Path(run_dir, "verdict.json").write_text(json.dumps(verdict, indent=2, default=str))
    return verdict


def run(
    name: str,
    parameters: dict[str, Any] | None = None,
    out_dir: Path = Path("reports"),
    progress: bool = True,
) -> RunResult:
    """Execute a runbook; raises :class:`RunbookError` when it breaks, not when it fails."""
    source = resolve(name)
    parameters = parameters or {}
    check_parameters(parameters)
    target = out_dir / source.stem
    target.mkdir(parents=True, exist_ok=True)
    verdict_path = target / "verdict.json"
    verdict_path.unlink(missing_ok=True)
    executed = target / source.name
    previous = os.environ.get(RUN_DIR_ENV)
    os.environ[RUN_DIR_ENV] = str(target.resolve())
    try:
        result = execute(source, target, parameters, hide_input=True, progress=progress)
    except PapermillExecutionError as exc:
        render_html(executed, executed.with_suffix(".html"), hide_input=True)
        raise RunbookError(
            f"runbook {source.stem} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}. "
            f"The executed notebook is {executed}."
        ) from None
    finally:
        if previous is None:
            os.environ.pop(RUN_DIR_ENV, None)
        else:
            os.environ[RUN_DIR_ENV] = previous
    if not verdict_path.is_file():
        raise RunbookError(f"runbook {source.stem} ended without calling workbench.runbook.emit")
    return RunResult(
        json.loads(verdict_path.read_text()), result.notebook, result.html, verdict_path
    )


def write_index(results: list[RunResult], extra: dict[str, Path], out_dir: Path) -> Path:
    """``index.html`` linking every report with its verdict (self-contained, no scripts)."""
    rows = []
    for result in results:
        verdict = result.verdict
        colour = "#1a7f37" if result.passed else "#cf222e"
        metrics = ", ".join(
            f"{k}: {v}" for k, v in verdict["metrics"].items() if not isinstance(v, dict)
        )
        findings = "".join(f"<li>{html.escape(f)}</li>" for f in verdict["findings"][:5])
        rows.append(
            f"<tr><td><a href='{html.escape(str(result.html.relative_to(out_dir)))}'>"
            f"{html.escape(verdict['runbook'])}</a></td>"
            f"<td style='color:{colour};font-weight:bold'>{verdict['status']}</td>"
            f"<td>{html.escape(metrics)}</td><td><ul>{findings}</ul></td></tr>"
        )
    links = "".join(
        f"<li><a href='{html.escape(str(path.relative_to(out_dir)))}'>{html.escape(name)}</a></li>"
        for name, path in extra.items()
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>commerce-workbench reports</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{border-bottom:1px solid #ddd;
padding:.4em;text-align:left;vertical-align:top}}table{{border-collapse:collapse}}</style>
</head><body><h1>commerce-workbench reports</h1>
<h2>Runbooks</h2><table><tr><th>runbook</th><th>verdict</th><th>metrics</th>
<th>findings</th></tr>{"".join(rows)}</table>
<h2>Notebooks</h2><ul>{links}</ul></body></html>
"""
    target = out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target
