"""Generate a synthetic store, load it through the real ingestion path, reconcile it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from elasticsearch import Elasticsearch

from workbench.cluster.capabilities import probe_capabilities
from workbench.data.dialects import ENTITY_ORDER, source_records
from workbench.data.store import ENTITIES, Store, StoreSpec, generate
from workbench.ingest.loader import Loader, LoadSummary, Progress
from workbench.ingest.mask import Masker, load_key
from workbench.ingest.reconcile import Reconciliation, reconcile_job
from workbench.schema.templates import delete_indices, domains, install, money_type


@dataclass
class SeedResult:
    store: Store
    summary: LoadSummary
    reconciliation: Reconciliation
    job_dir: Path


def job_dir(home: Path, spec: StoreSpec) -> Path:
    name = f"seed-{spec.seed}-{spec.orders}o-{spec.days}d-{'-'.join(spec.storefronts)}"
    return home / "ingest" / name


def record_count(store: Store) -> int:
    return sum(len(getattr(store, ENTITIES[e][0])) for e in ENTITY_ORDER)


def seed(
    es: Elasticsearch,
    home: Path,
    spec: StoreSpec,
    *,
    replicas: int = 0,
    fresh: bool = False,
    progress: Progress | None = None,
) -> SeedResult:
    """Load ``spec``'s store. A new job starts from empty ``commerce-*`` indices; an
    interrupted one (same spec) resumes where it stopped; ``fresh`` starts over."""
    directory = job_dir(home, spec)
    if fresh and directory.exists():
        shutil.rmtree(directory)
    if not (directory / "manifest.json").exists():
        delete_indices(es)
    installed = install(es, money_type(probe_capabilities(es)), replicas=replicas)
    store = generate(spec)
    loader = Loader(es, directory, Masker(load_key(home)), installed, progress=progress)
    try:
        summary = loader.run(source_records(store), total=record_count(store))
    finally:
        loader.close()
    reconciliation = reconcile_job(es, installed, store.totals, loader.dead_letter_path)
    return SeedResult(store, summary, reconciliation, directory)


def reconcile_seed(es: Elasticsearch, home: Path, spec: StoreSpec) -> Reconciliation:
    """Reconcile the cluster against ``spec``'s store and its load job's dead letters."""
    all_domains = domains(money_type(probe_capabilities(es)))
    dead_letters = job_dir(home, spec) / "dead-letter.ndjson"
    return reconcile_job(es, all_domains, generate(spec).totals, dead_letters)
