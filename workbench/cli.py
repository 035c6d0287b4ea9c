"""The ``workbench`` command: a thin layer over the package's functions."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from elasticsearch import ApiError, TransportError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from workbench.cluster.distribution import DEFAULT_VERSION
from workbench.cluster.local import DEFAULT_HTTP_PORT, ClusterSpec, LocalCluster
from workbench.cluster.status import cluster_status
from workbench.config import Settings
from workbench.connect import es_client
from workbench.data.dialects import ENTITY_ORDER
from workbench.data.store import STOREFRONTS, StoreSpec
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.ingest.seed import SeedResult

console = Console(stderr=True)
REPO_ROOT = Path(__file__).resolve().parent.parent


def _step(message: str) -> None:
    console.print(f"[cyan]•[/cyan] {escape(message)}", highlight=False)


@contextmanager
def _steps(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner whose text follows the steps, each also printed as a line."""
    with console.status(title, spinner="dots") as status:

        def step(message: str) -> None:
            status.update(message)
            _step(message)

        yield step


def _cluster(name: str, nodes: int = 1, port: int = DEFAULT_HTTP_PORT, **kw: Any) -> LocalCluster:
    return LocalCluster(
        ClusterSpec(home=Settings.from_env().home, name=name, nodes=nodes, http_port=port, **kw)
    )


name_option = click.option(
    "--name", default="local", show_default=True, help="Which local cluster (a directory name)."
)


out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where executed notebooks, HTML reports and verdicts go.",
)


@click.group()
@click.version_option(package_name="commerce-workbench")
def cli() -> None:
    """Analytics and operations workbench for e-commerce on Elasticsearch and Kibana."""


@cli.group()
def cluster() -> None:
    """Run a local Elasticsearch (Elastic's test distribution) or inspect any cluster."""


@cluster.command()
@name_option
@click.option("--nodes", default=1, show_default=True, help="Number of nodes (1-9).")
@click.option(
    "--port",
    default=DEFAULT_HTTP_PORT,
    show_default=True,
    help="HTTP port of the first node; node i uses port+i, transport port+100+i.",
)
@click.option(
    "--heap",
    "heap_mb",
    type=int,
    default=None,
    help="Heap per node in MB [default: 1024, or 512 with several nodes].",
)
@click.option(
    "--version",
    "es_version",
    default=DEFAULT_VERSION,
    show_default=True,
    help="Elasticsearch version to fetch from Maven Central.",
)
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait for health.")
@click.option(
    "--security",
    is_flag=True,
    help="TLS on HTTP and transport and a generated password for the elastic user "
    "(read through ES_PASSWORD_FILE, never printed).",
)
def up(
    name: str,
    nodes: int,
    port: int,
    heap_mb: int | None,
    es_version: str,
    timeout: float,
    security: bool,
) -> None:
    """Start the local cluster, or reuse it if it is already running."""
    local = _cluster(name, nodes, port, heap_mb=heap_mb, version=es_version, security=security)
    with _steps("starting Elasticsearch") as step:
        result = local.up(step=step, timeout=timeout)
    verb = "reused" if result.reused else f"started in {result.seconds:.1f} s"
    console.print(f"[green]Elasticsearch {result.version}[/green] at {result.url} ({verb})")
    for key, value in result.env.items():
        click.echo(f"export {key}={value}")


@cluster.command()
@name_option
@click.option("--wipe", is_flag=True, help="Also delete the cluster's data, logs and snapshots.")
def down(name: str, wipe: bool) -> None:
    """Stop every node of the named local cluster that the workbench started."""
    _cluster(name).down(step=_step, wipe=wipe)


@cluster.command()
@click.option(
    "--name", default=None, help="A local cluster to inspect; by default the cluster at ES_URL."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def status(name: str | None, as_json: bool) -> None:
    """Version, health, nodes, modules and capabilities of a cluster."""
    settings = Settings.from_env()
    url = settings.es_url
    if name is not None:
        local = _cluster(name)
        record = local.record
        if record is None:
            raise WorkbenchError(f"no local cluster named {name!r}; start it with 'cluster up'")
        url = record.url
        env = record.client_env(local.spec.directory)
        settings = Settings.from_env({**env, "WORKBENCH_HOME": str(settings.home)})
    es = es_client(settings, max_retries=0, request_timeout=10)
    try:
        report = cluster_status(es, url)
    except (TransportError, ApiError) as exc:
        raise WorkbenchError(
            f"cannot get the status of {url}: {exc}. Is it running? "
            f"('workbench cluster up' starts a local node; ES_URL points elsewhere)"
        ) from None
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_status(report)
    if report["health"] == "red":
        sys.exit(1)


@cli.command("seed")
@click.option("--orders", default=5000, show_default=True, help="Orders to generate.")
@click.option("--days", default=30, show_default=True, help="Days of history.")
@click.option("--seed", "seed_value", default=1, show_default=True, help="Random seed.")
@click.option(
    "--storefronts",
    default=",".join(STOREFRONTS),
    show_default=True,
    help="Comma-separated storefront dialects.",
)
@click.option("--replicas", default=0, show_default=True, help="Replicas per index.")
@click.option("--fresh", is_flag=True, help="Discard an interrupted job and start over.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary and verdict as JSON.")
def seed_command(
    orders: int,
    days: int,
    seed_value: int,
    storefronts: str,
    replicas: int,
    fresh: bool,
    as_json: bool,
) -> None:
    """Generate a synthetic store, ingest it (spool, dead letters) and reconcile it.

    Running the same command again after an interruption resumes the load.
    """
    from workbench.ingest.seed import seed

    settings = Settings.from_env()
    try:
        spec = StoreSpec(
            orders=orders,
            days=days,
            seed=seed_value,
            storefronts=tuple(s.strip() for s in storefronts.split(",")),
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    with Progress(console=console, transient=True) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(label: str, done: int, total: int | None) -> None:
            if label not in ("spool", "send"):
                console.print(f"[yellow]{escape(label)}[/yellow]")
                return
            if label not in tasks:
                tasks[label] = bars.add_task(label, total=total)
            bars.update(tasks[label], completed=done, total=total)

        result = seed(
            es_client(settings),
            settings.home,
            spec,
            replicas=replicas,
            fresh=fresh,
            progress=progress,
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "job": str(result.job_dir),
                    "load": result.summary.as_dict(),
                    "reconciliation": result.reconciliation.verdict(),
                },
                indent=2,
            )
        )
    else:
        _print_seed(result)
    if not result.reconciliation.passed:
        sys.exit(1)


@cli.command("ingest")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--system",
    required=True,
    type=click.Choice(["shopify", "magento", "custom", "feed"]),
    help="The dialect the file is in.",
)
@click.option(
    "--entity",
    required=True,
    type=click.Choice(ENTITY_ORDER),
    help="What each line is.",
)
@click.option("--replicas", default=0, show_default=True, help="Replicas for new indices.")
def ingest_command(path: Path, system: str, entity: str, replicas: int) -> None:
    """Load an NDJSON export (one payload per line) through the ingestion path.

    Lines that are not JSON, fail validation or are rejected by Elasticsearch go to the
    job's dead-letter file. Run the same command again to resume an interrupted load.
    """
    from workbench.cluster.capabilities import probe_capabilities
    from workbench.ingest.files import ndjson_records
    from workbench.ingest.loader import Loader
    from workbench.ingest.mask import Masker, load_key
    from workbench.schema.templates import install, money_type

    settings = Settings.from_env()
    es = es_client(settings)
    installed = install(es, money_type(probe_capabilities(es)), replicas=replicas)
    job = settings.home / "ingest" / f"file-{path.stem}-{system}-{entity}"
    loader = Loader(es, job, Masker(load_key(settings.home)), installed)
    try:
        summary = loader.run(ndjson_records(path, system, entity))
    finally:
        loader.close()
    click.echo(
        json.dumps(
            {"job": str(job), "dead_letters": str(loader.dead_letter_path), **summary.as_dict()},
            indent=2,
        )
    )


def _print_seed(result: SeedResult) -> None:
    out = Console()
    s = result.summary
    out.print(
        f"job {result.job_dir}: {s.source_records:,} source records "
        f"({s.skipped_on_resume:,} already spooled), {s.indexed:,} indexed this run, "
        f"{sum(s.dead_lettered.values()):,} dead-lettered {s.dead_lettered or ''}, "
        f"{s.outages} outage(s), {s.seconds:.1f} s"
    )
    table = Table("entity", "storefront", "source", "indexed", "dead-lettered", "missing")
    for row in result.reconciliation.rollup.itertuples():
        style = "" if row.missing == 0 else "red"
        table.add_row(
            str(row.entity),
            str(row.storefront),
            f"{row.source_count:,}",
            f"{row.indexed:,}",
            f"{row.dead_lettered:,}",
            str(row.missing),
            style=style,
        )
    out.print(table)
    verdict = result.reconciliation.verdict()
    colour = "green" if verdict["status"] == "pass" else "red"
    metrics = escape(str(verdict["metrics"]))
    out.print(f"reconciliation: [{colour}]{verdict['status']}[/{colour}] {metrics}")


def _parameter(value: str) -> Any:
    """A ``-p`` value as YAML would read it: numbers, booleans, lists; else the string."""
    import yaml

    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        return value


@cli.command("run")
@click.argument("runbook")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="A runbook parameter (repeatable).",
)
@out_option
def run_command(runbook: str, parameters: tuple[tuple[str, str], ...], out_dir: Path) -> None:
    """Execute a runbook; exit 1 when its verdict is fail, 2 when the runbook breaks."""
    from workbench.runbook import RunbookError, run

    try:
        result = run(runbook, {k: _parameter(v) for k, v in parameters}, out_dir)
    except RunbookError as exc:
        console.print(f"[red]runbook error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    verdict = result.verdict
    colour = "green" if result.passed else "red"
    console.print(
        f"{verdict['runbook']}: [{colour}]{verdict['status']}[/{colour}] "
        f"{escape(str(verdict['metrics']))}",
        highlight=False,
    )
    for finding in verdict["findings"]:
        console.print(f"  - {escape(str(finding))}", highlight=False)
    console.print(f"report: {result.html}\nverdict: {result.verdict_path}")
    if not result.passed:
        sys.exit(1)


@cli.group()
def kibana() -> None:
    """Kibana saved objects: export, validate, diff and import (KIBANA_URL, KIBANA_SPACE)."""


def _pairs(values: tuple[str, ...], sep: str, what: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        left, found, right = value.partition(sep)
        if not found or not left or not right:
            raise click.BadParameter(f"{value!r} is not {what}")
        out.append((left, right))
    return out


def _bundle(source: str, other: list[Any] | None = None) -> list[Any]:
    """Objects from a path, or from the live Kibana when ``source`` is ``kibana``."""
    from workbench.kibana.client import KibanaClient
    from workbench.kibana.model import read_objects

    if source != "kibana":
        return read_objects(Path(source))
    types = sorted({str(o["type"]) for o in other or []}) or ["dashboard"]
    with KibanaClient.from_settings() as client:
        return client.export(types=types, include_references_deep=True)


@kibana.command("export")
@click.option("--type", "types", multiple=True, help="Export every object of this type.")
@click.option("--object", "objects", multiple=True, metavar="TYPE:ID", help="Export this object.")
@click.option("--deep", is_flag=True, help="Include everything the objects reference.")
@click.argument("out", type=click.Path(path_type=Path))
def kibana_export(types: tuple[str, ...], objects: tuple[str, ...], deep: bool, out: Path) -> None:
    """Export to OUT: a folder of decoded files for git, or an .ndjson bundle."""
    from workbench.kibana.client import KibanaClient
    from workbench.kibana.files import dumps_ndjson, write_tree

    with KibanaClient.from_settings() as client:
        exported = client.export(
            types=list(types) or None,
            objects=_pairs(objects, ":", "TYPE:ID") or None,
            include_references_deep=deep,
        )
    if out.suffix == ".ndjson":
        out.write_text(dumps_ndjson(exported), "utf-8")
    else:
        write_tree(exported, out)
    console.print(f"{len(exported)} objects written to {out}")


@kibana.command("dashboards")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=REPO_ROOT / "dashboards",
    show_default=True,
    help="Folder for the generated files.",
)
def kibana_dashboards(out: Path) -> None:
    """Write the commerce data views and dashboards (built in code) as files for git."""
    from workbench.kibana.builders import commerce_objects
    from workbench.kibana.files import write_tree

    written = write_tree(commerce_objects(), out)
    console.print(f"{len(written)} files in {out}")


@kibana.command("validate")
@click.argument("path")
@click.option(
    "--external",
    multiple=True,
    metavar="TYPE:ID",
    help="An object the target already has (references to it are fine).",
)
@click.option("--target-version", default=None, help="The Kibana version to import into.")
def kibana_validate(path: str, external: tuple[str, ...], target_version: str | None) -> None:
    """Check a bundle offline; exit 1 when it has errors."""
    from workbench.kibana.validate import validate

    objects = _bundle(path)
    findings = validate(objects, _pairs(external, ":", "TYPE:ID"), target_version)
    for finding in findings:
        console.print(str(finding), highlight=False, markup=False)
    errors = sum(f.severity == "error" for f in findings)
    console.print(f"{len(objects)} objects, {errors} errors, {len(findings) - errors} warnings")
    if errors:
        sys.exit(1)


@kibana.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def kibana_diff(old: str, new: str, as_json: bool) -> None:
    """Compare two bundles; either may be ``kibana`` (the live Kibana's export)."""
    from workbench.kibana.diff import as_text, diff

    new_objects = _bundle(new) if new != "kibana" else []
    old_objects = _bundle(old, new_objects)
    if new == "kibana":
        new_objects = _bundle(new, old_objects)
    changes = diff(old_objects, new_objects)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in changes], indent=2))
    else:
        click.echo(as_text(changes))


@kibana.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--apply", "do_apply", is_flag=True, help="Write to Kibana (default: dry run).")
@click.option("--overwrite", is_flag=True, help="Replace objects that exist (backed up first).")
@click.option("--remap-view", multiple=True, metavar="OLD=NEW", help="Replace a data view id.")
@click.option(
    "--remap-pattern",
    multiple=True,
    metavar="OLD=NEW",
    help="Replace an index pattern title, e.g. commerce-*-staging=commerce-*.",
)
@click.option(
    "--backup-dir",
    type=click.Path(path_type=Path),
    default=Path("reports/kibana"),
    show_default=True,
    help="Where the target's overwritten objects are saved.",
)
def kibana_import(
    path: Path,
    do_apply: bool,
    overwrite: bool,
    remap_view: tuple[str, ...],
    remap_pattern: tuple[str, ...],
    backup_dir: Path,
) -> None:
    """Preview (default) or apply an import into KIBANA_URL / KIBANA_SPACE."""
    from workbench.kibana.client import KibanaClient
    from workbench.kibana.model import read_objects
    from workbench.kibana.promote import apply, describe, plan, remap

    objects = remap(
        read_objects(path),
        dict(_pairs(remap_view, "=", "OLD=NEW")),
        dict(_pairs(remap_pattern, "=", "OLD=NEW")),
    )
    with KibanaClient.from_settings() as client:
        preview = plan(client, objects, client.version())
        click.echo(describe(preview, objects))
        if not do_apply:
            console.print("dry run: nothing written (add --apply)")
            sys.exit(1 if preview.errors else 0)
        result = apply(client, objects, preview, overwrite=overwrite, backup_dir=backup_dir)
    for problem in result.problems:
        console.print(f"[red]{escape(str(problem))}[/red]", highlight=False)
    console.print(f"imported {result.success_count} objects; success={result.success}")
    if not result.success:
        sys.exit(1)


def _print_status(report: dict[str, Any]) -> None:
    out = Console()
    out.print(
        f"[bold]{report['cluster_name']}[/bold] at {report['url']}: "
        f"Elasticsearch {report['version']}, health [bold]{report['health']}[/bold], "
        f"{report['number_of_nodes']} node(s)"
    )
    out.print(f"modules: {', '.join(report['modules'])}")
    table = Table("capability", "available", "detail")
    for cap in report["capabilities"].values():
        mark = "[green]yes[/green]" if cap["available"] else "[yellow]no[/yellow]"
        detail = cap["detail"] if cap["available"] else cap["needs"]
        table.add_row(escape(cap["name"]), mark, escape(str(detail)))
    out.print(table)


@cli.command()
@out_option
@click.option(
    "--port", default=DEFAULT_HTTP_PORT, show_default=True, help="HTTP port of the local node."
)
@click.option("--keep", is_flag=True, help="Leave the local node running afterwards.")
@click.option("--orders", default=2000, show_default=True, help="Orders in the demo store.")
def demo(out_dir: Path, port: int, keep: bool, orders: int) -> None:
    """Start a local node, seed a store, run every runbook and every notebook, write
    ``reports/index.html``; exit 1 when a verdict fails."""
    from workbench.report import execute
    from workbench.runbook import run, write_index

    plan: list[tuple[str, dict[str, Any]]] = [
        ("ingest_reconciliation", {"orders": orders, "days": 14, "fresh": True}),
        ("cluster_health", {"allow_yellow": True}),
        ("shard_sizing", {"pattern": "commerce-*"}),
        ("capacity_planning", {}),
        ("slowlog_profiling", {}),
        ("restore_drill", {}),
        ("kibana_promotion", {}),
    ]
    local = _cluster("demo", port=port)
    with _steps("starting Elasticsearch") as step:
        result = local.up(step=step)
    os.environ["ES_URL"] = result.url
    os.environ.pop("KIBANA_URL", None)  # the demo promotes offline: no Kibana runs here
    began = time.monotonic()
    try:
        results = []
        for name, parameters in plan:
            _step(f"runbook {name}")
            results.append(run(name, parameters, out_dir, progress=False))
        notebooks = {}
        for path in sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            _step(f"notebook {path.stem}")
            notebooks[path.stem] = execute(path, out_dir, progress=False).html
    finally:
        if not (keep or result.reused):
            local.down(step=_step)
    index = write_index(results, notebooks, out_dir)
    for item in results:
        colour = "green" if item.passed else "red"
        console.print(
            f"  {item.verdict['runbook']:<24} [{colour}]{item.verdict['status']}[/{colour}]"
        )
    console.print(f"[green]reports:[/green] {index} ({time.monotonic() - began:.0f} s)")
    if not all(item.passed for item in results):
        sys.exit(1)


def main() -> None:
    """Console entry point: actionable errors become one red line and exit status 1."""
    try:
        cli()
    except WorkbenchError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(1)
