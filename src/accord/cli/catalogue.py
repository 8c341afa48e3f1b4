"""``accord dataset``: register, ingest, describe, list and search the catalogue."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from accord.cli.common import console, err, handles_errors, open_app, print_json, table
from accord.core.catalogue import Dataset, DatasetVersion, UpdateFrequency
from accord.core.vocabulary import Category, SemanticType
from accord.errors import ValidationError
from accord.services.catalogue import IngestReport

dataset_app = typer.Typer(
    help="The catalogue: datasets, their fields and versions (metadata only).",
    no_args_is_help=True,
)


def split_id(dataset_id: str) -> tuple[str, str]:
    org, sep, name = dataset_id.partition("/")
    if not sep or not org or not name:
        raise ValidationError(f"dataset {dataset_id!r} must be written ORG/NAME, e.g. dwp/carers")
    return org, name


def parse_types(pairs: list[str] | None) -> dict[str, SemanticType]:
    overrides = {}
    for pair in pairs or ():
        field, sep, semantic = pair.partition("=")
        try:
            overrides[field] = SemanticType(semantic)
        except ValueError:
            raise ValidationError(
                f"--type {pair!r} must be FIELD=TYPE with TYPE one of "
                + ", ".join(t.value for t in SemanticType)
            ) from None
        if not sep:
            raise ValidationError(f"--type {pair!r} must be FIELD=TYPE")
    return overrides


def dataset_json(dataset: Dataset, versions: list[DatasetVersion] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": dataset.id,
        "organisation": dataset.organisation_id,
        "name": dataset.name,
        "description": dataset.description,
        "tags": list(dataset.tags),
        "update_frequency": dataset.update_frequency.value,
        "retention": dataset.retention,
        "owner": dataset.owner_id,
        "source_kind": dataset.source_kind.value,
        "source": dataset.source,
        "latest_version": dataset.latest_version,
        "fields": [
            {
                "name": f.name,
                "data_type": f.data_type.value,
                "category": f.category.value,
                "semantic_type": f.semantic_type.value,
                "confirmed": f.confirmed,
                "description": f.description,
            }
            for f in dataset.fields
        ],
    }
    if versions is not None:
        body["versions"] = [
            {
                "number": v.number,
                "row_count": v.row_count,
                "quarantined_rows": v.quarantined_rows,
                "content_hash": v.content_hash,
                "created_at": v.created_at.isoformat(),
            }
            for v in versions
        ]
    return body


def _report(report: IngestReport, verb: str) -> None:
    v = report.version
    if report.unchanged:
        console.print(
            f"{report.dataset.id}: identical to version {v.number} "
            f"(sha256 {v.content_hash[:12]}…); "
            "no new version"
        )
        return
    console.print(
        f"{verb} [bold]{report.dataset.id}[/] version {v.number}: {v.row_count:,} rows, "
        f"sha256 {v.content_hash[:12]}…"
    )
    if report.quarantine is not None:
        err.print(
            f"[yellow]{v.quarantined_rows:,} bad row(s) quarantined to {report.quarantine}[/]",
            highlight=False,
        )
        for problem in report.problems[:10]:
            err.print(f"  {problem}", highlight=False, markup=False)


@dataset_app.command("register")
@handles_errors
def dataset_register(
    dataset_id: Annotated[str, typer.Argument(help="ORG/NAME, e.g. dwp/carers_allowance.")],
    source: Annotated[
        str,
        typer.Argument(
            help="file.csv, file.parquet, duckdb:PATH#TABLE or postgresql://…#SCHEMA.TABLE"
        ),
    ],
    description: Annotated[
        str, typer.Option(help="What the data is and how it is collected.")
    ] = "",
    tag: Annotated[list[str] | None, typer.Option(help="Search tag, repeatable.")] = None,
    frequency: Annotated[
        UpdateFrequency, typer.Option(help="How often it is updated.")
    ] = UpdateFrequency.ONE_OFF,
    retention: Annotated[
        str, typer.Option(help="Retention rule, e.g. '13 months after decision'.")
    ] = "",
    owner: Annotated[str, typer.Option(help="Principal id of the accountable owner.")] = "",
    type_: Annotated[
        list[str] | None,
        typer.Option("--type", help="FIELD=SEMANTIC_TYPE override of the suggestion, repeatable."),
    ] = None,
    lenient: Annotated[
        bool, typer.Option(help="Quarantine bad rows and load the rest (default: refuse the file).")
    ] = False,
) -> None:
    """Register a dataset: infer its schema, suggest field types, validate and store version 1."""
    org, name = split_id(dataset_id)
    app = open_app()
    report = app.catalogue.register(
        app.operator(),
        org,
        name,
        source,
        description=description,
        tags=tuple(tag or ()),
        update_frequency=frequency,
        retention=retention,
        owner_id=owner,
        overrides=parse_types(type_),
        lenient=lenient,
    )
    _report(report, "Registered")
    _fields(report.dataset)


@dataset_app.command("ingest")
@handles_errors
def dataset_ingest(
    dataset_id: Annotated[str, typer.Argument(help="ORG/NAME")],
    source: Annotated[
        str | None, typer.Argument(help="New file; default: the registered source.")
    ] = None,
    lenient: Annotated[bool, typer.Option(help="Quarantine bad rows and load the rest.")] = False,
) -> None:
    """Ingest a new version, checked against the registered schema."""
    split_id(dataset_id)
    app = open_app()
    report = app.catalogue.ingest(app.operator(), dataset_id, source, lenient=lenient)
    _report(report, "Ingested")


@dataset_app.command("classify")
@handles_errors
def dataset_classify(
    dataset_id: Annotated[str, typer.Argument(help="ORG/NAME")],
    field: Annotated[str, typer.Argument(help="Field name.")],
    category: Annotated[Category | None, typer.Option(help="Override the category.")] = None,
    semantic_type: Annotated[
        SemanticType | None, typer.Option(help="Override the semantic type.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="Describe the field.")] = None,
) -> None:
    """Confirm a field's suggested category and semantic type, or override them."""
    split_id(dataset_id)
    app = open_app()
    dataset = app.catalogue.classify(
        app.operator(),
        dataset_id,
        field,
        category=category,
        semantic_type=semantic_type,
        description=description,
    )
    spec = dataset.field(field)
    console.print(
        f"{dataset_id}.{field}: {spec.category.value}, {spec.semantic_type.value} (confirmed)"
    )


def _fields(dataset: Dataset) -> None:
    table(
        f"Fields of {dataset.id}",
        ["field", "type", "category", "semantic type", "confirmed"],
        [
            (
                f.name,
                f.data_type.value,
                f.category.value,
                f.semantic_type.value,
                "yes" if f.confirmed else "suggested",
            )
            for f in dataset.fields
        ],
    )


@dataset_app.command("list")
@handles_errors
def dataset_list(
    org: Annotated[str | None, typer.Option(help="Only this organisation's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the catalogue."""
    app = open_app()
    datasets = app.catalogue.list_datasets(app.operator(), org)
    if as_json:
        print_json([dataset_json(d) for d in datasets])
        return
    _listing("Catalogue", datasets)


def _listing(title: str, datasets: list[Dataset]) -> None:
    table(
        title,
        ["dataset", "description", "fields", "version", "tags"],
        [
            (d.id, d.description, len(d.fields), d.latest_version, ", ".join(d.tags))
            for d in datasets
        ],
    )


@dataset_app.command("show")
@handles_errors
def dataset_show(
    dataset_id: Annotated[str, typer.Argument(help="ORG/NAME")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a dataset's metadata, fields and versions."""
    split_id(dataset_id)
    app = open_app()
    dataset, versions = app.catalogue.show(app.operator(), dataset_id)
    if as_json:
        print_json(dataset_json(dataset, versions))
        return
    console.print(f"[bold]{dataset.id}[/]  {dataset.description}")
    console.print(
        f"source {dataset.source_kind.value}: {dataset.source}; "
        f"updated {dataset.update_frequency.value}; "
        f"retention: {dataset.retention or 'not set'}; owner: {dataset.owner_id or 'not set'}; "
        f"tags: {', '.join(dataset.tags) or 'none'}",
        highlight=False,
    )
    _fields(dataset)
    table(
        "Versions",
        ["version", "rows", "quarantined", "sha256", "created"],
        [
            (
                v.number,
                f"{v.row_count:,}",
                v.quarantined_rows,
                v.content_hash[:16] + "…",
                f"{v.created_at:%Y-%m-%d %H:%M:%S}",
            )
            for v in versions
        ],
    )


@dataset_app.command("search")
@handles_errors
def dataset_search(
    words: Annotated[
        list[str], typer.Argument(help="Words to find in names, descriptions, fields, tags.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search the catalogue across organisations: metadata only, never rows."""
    app = open_app()
    datasets = app.catalogue.search(app.operator(), " ".join(words))
    if as_json:
        print_json([dataset_json(d) for d in datasets])
        return
    _listing(f"Datasets matching {' '.join(words)!r}", datasets)
