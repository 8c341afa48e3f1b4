"""``accord stats``, ``accord batch`` and ``accord airlock``: disclosure control on the
command line.

Protected tables and published statistics for data owners, batch validation for
requesters without a per-record gateway, and the airlock through which an analyst's
outputs leave only after two independent checkers approve them. Every command calls
the same service as the API; ``--as PRINCIPAL`` acts for a named person, and the audit
log records both the principal and the operator who acted for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli.common import console, handles_errors, open_app, print_json, table
from accord.core.permissions import Caller
from accord.disclosure.airlock import Decision, OutputRequest
from accord.disclosure.batch import BatchPolicy
from accord.errors import ValidationError
from accord.fsutil import write_atomic
from accord.services.app import Accord
from accord.services.disclosure import ProtectedTable, Protection, SubmittedOutput

__all__ = ["airlock_app", "batch_app", "stats_app"]

stats_app = typer.Typer(
    help="Protected aggregate tables, and publishing them to the catalogue.", no_args_is_help=True
)
batch_app = typer.Typer(
    help="Batch validation: a proportion of a batch, never which records.", no_args_is_help=True
)
airlock_app = typer.Typer(
    help="Output checking: results leave an in-place analysis only when approved.",
    no_args_is_help=True,
)

AsOption = Annotated[str, typer.Option("--as", help="The principal who acts (a person).")]
OptionalAs = Annotated[
    str | None,
    typer.Option("--as", help="The principal who acts; the local operator when left out."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RowsOption = Annotated[
    list[str], typer.Option("--rows", help="Field(s) down the side, e.g. lsoa_code.")
]
ColumnsOption = Annotated[
    list[str], typer.Option("--columns", help="Field(s) across the top, e.g. benefit_type.")
]
ValueOption = Annotated[
    str | None, typer.Option("--value", help="A numeric field to sum; counts when left out.")
]
ProtectionOption = Annotated[
    Protection,
    typer.Option(help="suppress (proved by the interval audit), round, or cell_key."),
]


def _caller(app: Accord, as_: str | None) -> Caller:
    return app.acting_as(as_) if as_ else app.operator()


def table_json(result: ProtectedTable) -> dict[str, Any]:
    """A protected table as plain data: labels, values (null where suppressed), flags."""
    return {
        "rows": list(result.rows),
        "columns": list(result.columns),
        "value": result.value,
        "protection": result.protection.value,
        "row_labels": [list(label) for label in result.row_labels],
        "column_labels": [list(label) for label in result.column_labels],
        "values": result.values,
        "flags": result.flags,
        "rules": result.rules,
    }


def _show(result: ProtectedTable) -> None:
    heads = [*result.rows, *("/".join(map(str, c)) for c in result.column_labels), "Total"]
    labels = [*result.row_labels, tuple("Total" for _ in result.rows)]
    table(
        f"{'Sum of ' + result.value if result.value else 'Counts'} ({result.protection.value}; "
        "c = suppressed)",
        heads,
        [
            [*label, *("c" if v is None else f"{v:g}" for v in values)]
            for label, values in zip(labels, result.values, strict=True)
        ],
    )


@stats_app.command("table")
@handles_errors
def stats_table(
    dataset: Annotated[str, typer.Argument(help="ORG/NAME")],
    rows: RowsOption,
    columns: ColumnsOption,
    value: ValueOption = None,
    protection: ProtectionOption = Protection.SUPPRESS,
    out: Annotated[
        Path | None, typer.Option(help="Write the table as CSV here instead of printing it.")
    ] = None,
    as_: OptionalAs = None,
    as_json: JsonOption = False,
) -> None:
    """A protected table of counts (or sums) from a dataset, fit to publish."""
    app = open_app()
    result = app.tables.tabulate(
        _caller(app, as_), dataset, rows, columns, value, protection=protection
    )
    if out is not None:
        write_atomic(out, result.to_csv())
        hidden = sum(v is None for row in result.values for v in row)
        console.print(f"Wrote {out} ({hidden} cell(s) suppressed)")
    elif as_json:
        print_json(table_json(result))
    else:
        _show(result)


@stats_app.command("publish")
@handles_errors
def stats_publish(
    dataset: Annotated[str, typer.Argument(help="ORG/NAME, the source dataset.")],
    name: Annotated[str, typer.Argument(help="Name of the published dataset (same organisation).")],
    rows: RowsOption,
    columns: ColumnsOption,
    value: ValueOption = None,
    protection: ProtectionOption = Protection.SUPPRESS,
    description: Annotated[str, typer.Option(help="What the product is.")] = "",
    tag: Annotated[
        list[str] | None, typer.Option(help="More tags (it is tagged 'published' anyway).")
    ] = None,
    as_: OptionalAs = None,
    as_json: JsonOption = False,
) -> None:
    """Publish a protected table to the catalogue as a tier-1 product."""
    app = open_app()
    published = app.tables.publish(
        _caller(app, as_),
        dataset,
        rows,
        columns,
        value,
        name=name,
        description=description,
        tags=tag or (),
        protection=protection,
    )
    if as_json:
        print_json(
            {
                "dataset": published.dataset_id,
                "version": published.version,
                "source": published.source,
                "tags": list(published.tags),
                "table": table_json(published.table),
            }
        )
        return
    console.print(
        f"Published [bold]{published.dataset_id}[/] v{published.version} from "
        f"{published.source} (tags: {', '.join(published.tags)})"
    )


def _criterion(values: list[str]) -> dict[str, list[str]]:
    criterion: dict[str, list[str]] = {}
    for value in values:
        field, sep, allowed = value.partition("=")
        if not sep or not field.strip() or not allowed.strip():
            raise ValidationError(f"--criterion {value!r}: write FIELD=VALUE[,VALUE...]")
        criterion.setdefault(field.strip(), []).extend(
            a.strip() for a in allowed.split(",") if a.strip()
        )
    return criterion


@batch_app.command("define")
@handles_errors
def batch_define(
    name: Annotated[str, typer.Argument(help="Name of the check (its id is ORG/NAME).")],
    dataset: Annotated[str, typer.Option(help="ORG/NAME: the data owner's dataset.")],
    key: Annotated[str, typer.Option(help="The identifier field, e.g. nino.")],
    criterion: Annotated[
        list[str], typer.Option(help="FIELD=VALUE[,VALUE...]; all must hold. Repeatable.")
    ],
    offer_to: Annotated[
        list[str], typer.Option("--offer-to", help="An organisation that may submit batches.")
    ],
    as_: OptionalAs = None,
    min_batch: Annotated[int, typer.Option(min=2, help="Smallest batch answered.")] = 100,
    threshold: Annotated[int, typer.Option(min=1, help="Both counts must reach it.")] = 10,
    epsilon: Annotated[float, typer.Option(help="Privacy loss per batch.")] = 0.1,
    budget: Annotated[
        float, typer.Option(help="Most of the lineage's total one agreement may be allocated.")
    ] = 0.4,
    lineage_epsilon: Annotated[
        float | None,
        typer.Option(
            help="Total epsilon for the dataset across its versions, shared by every "
            "agreement; declared by the first check, never renewed (default 0.4)."
        ),
    ] = None,
    max_overlap: Annotated[
        float, typer.Option(help="Share of a batch allowed in earlier batches.")
    ] = 0.5,
    band: Annotated[float, typer.Option(help="Answer in bands of this width (0: off).")] = 0.0,
    description: Annotated[str, typer.Option(help="What the check answers.")] = "",
) -> None:
    """Offer a batch validation check on a dataset to named organisations."""
    app = open_app()
    organisation = dataset.partition("/")[0]
    try:
        policy = BatchPolicy(
            min_batch=min_batch,
            threshold=threshold,
            epsilon_per_batch=epsilon,
            budget=budget,
            max_overlap=max_overlap,
            band=band,
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    check = app.batches.define(
        _caller(app, as_),
        organisation,
        name,
        dataset,
        key,
        _criterion(criterion),
        offer_to,
        policy=policy,
        description=description,
        lineage_epsilon=lineage_epsilon,
    )
    lineage = app.batches.budget(check.id)
    console.print(
        f"Defined batch check [bold]{check.id}[/] on {check.dataset_id}, offered to "
        f"{', '.join(check.requesters)}; the dataset's total epsilon is {lineage.total:g} "
        "for every agreement together, so attacker accuracy is at most "
        f"{lineage.attacker_accuracy_bound:.2f} however many requesters combine"
    )


@batch_app.command("validate")
@handles_errors
def batch_validate(
    check_id: Annotated[str, typer.Argument(help="ORG/NAME of the check.")],
    file: Annotated[Path, typer.Argument(help="Identifiers, one per line.")],
    as_: AsOption,
    org: Annotated[
        str | None, typer.Option(help="The organisation submitting (when you have several).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Submit a batch: the answer is a proportion, never which records met the criteria."""
    try:
        identifiers = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValidationError(f"cannot read {file}: {exc.strerror}") from exc
    app = open_app()
    caller = app.acting_as(as_)
    organisation = org or app.batches.requester_organisation(caller, check_id)
    answer = app.batches.validate(caller, check_id, organisation, identifiers)
    if as_json:
        print_json(
            {
                "outcome": answer.outcome.value,
                "records": answer.records,
                "proportion": answer.proportion,
                "band": list(answer.band) if answer.band else None,
                "epsilon": answer.epsilon,
                "reason": answer.reason,
                "answer": answer.text(),
            }
        )
        return
    console.print(f"{answer.records} distinct identifier(s): {answer.text()}", highlight=False)


def _request_rows(request: OutputRequest) -> list[list[Any]]:
    return [
        [f.name, f.status.value, f.checks.get("status", ""), f.sha256[:16]] for f in request.files
    ]


@airlock_app.command("designate")
@handles_errors
def airlock_designate(
    organisation: Annotated[str, typer.Argument(help="The organisation (workspace).")],
    principal: Annotated[str, typer.Argument(help="The person who will check outputs.")],
    as_: OptionalAs = None,
) -> None:
    """Designate an output checker for an organisation (its admin, or the platform)."""
    app = open_app()
    app.airlock.designate_checker(_caller(app, as_), organisation, principal)
    console.print(f"{principal} is an output checker for {organisation}")


@airlock_app.command("submit")
@handles_errors
def airlock_submit(
    organisation: Annotated[str, typer.Argument(help="The organisation the analysis runs in.")],
    files: Annotated[list[Path], typer.Argument(help="CSV outputs.")],
    query: Annotated[
        list[str], typer.Option(help="The query that produced each file, in the same order.")
    ],
    as_: AsOption,
    title: Annotated[str, typer.Option(help="What the outputs are.")] = "Outputs",
    count_column: Annotated[
        list[str] | None,
        typer.Option("--count-column", help="A column of counts to check (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Submit outputs for release; the disclosure rules run on them at once."""
    if len(query) != len(files):
        raise ValidationError(f"give one --query per file ({len(files)} file(s), {len(query)})")
    outputs = []
    for path, sql in zip(files, query, strict=True):
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc.strerror}") from exc
        outputs.append(SubmittedOutput(path.name, content, sql, tuple(count_column or ())))
    app = open_app()
    request = app.airlock.submit(app.acting_as(as_), organisation, title, outputs)
    if as_json:
        print_json(
            {
                "id": request.id,
                "files": [
                    {"name": f.name, "sha256": f.sha256, "status": f.status.value, "sdc": f.checks}
                    for f in request.files
                ],
            }
        )
        return
    console.print(f"Submitted output request [bold]{request.id}[/]")
    table("Files", ["file", "status", "automatic check", "sha256"], _request_rows(request))


@airlock_app.command("review")
@handles_errors
def airlock_review(
    request_id: Annotated[str, typer.Argument(help="The output request.")],
    file_name: Annotated[str, typer.Argument(help="The file reviewed.")],
    decision: Annotated[Decision, typer.Argument(help="approve or reject.")],
    as_: AsOption,
    comment: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Approve or reject one file; two agreeing checkers, neither the author, decide it."""
    app = open_app()
    request = app.airlock.review(app.acting_as(as_), request_id, file_name, decision, comment)
    console.print(f"{file_name} is {request.file(file_name).status.value}")


@airlock_app.command("download")
@handles_errors
def airlock_download(
    request_id: Annotated[str, typer.Argument(help="The output request.")],
    file_name: Annotated[str, typer.Argument(help="An approved file.")],
    as_: AsOption,
    out: Annotated[Path | None, typer.Option(help="Where to write it (default: its name).")] = None,
) -> None:
    """Download an approved file, its checksum verified first."""
    app = open_app()
    content = app.airlock.download(app.acting_as(as_), request_id, file_name)
    target = out or Path(file_name)
    write_atomic(target, content)
    console.print(f"Wrote {target} ({len(content):,} bytes)")


@airlock_app.command("release")
@handles_errors
def airlock_release(
    request_id: Annotated[str, typer.Argument(help="The output request.")],
    out: Annotated[Path, typer.Option(help="Directory for the files and results.json.")],
    as_: AsOption,
) -> None:
    """Write the approved files, an ACRO-compatible results.json and checksums/."""
    app = open_app()
    document = app.airlock.release(app.acting_as(as_), request_id, out)
    console.print(f"Wrote {len(document.get('results', {}))} output(s) and results.json to {out}")
