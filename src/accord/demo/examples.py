"""A platform holding every dataset the example requests in ``requests/`` name.

The examples are what a new user copies, so they must assess against real data: this
builds the organisations, people and catalogue they refer to, from the synthetic
scenarios (carers, worklessness, the labour-market trust) at a small scale, through the
same services the CLI and API use. ``tests/demo/test_example_requests.py`` runs
``accord request assess`` on each example against it and compares the findings with
the ``<name>.expected.json`` kept beside the request.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.demo.foundation import DEMO_ORGANISATIONS, REQUESTS
from accord.services.app import Accord
from accord.services.disclosure import Protection

__all__ = ["EXAMPLE_DATASETS", "PUBLISHED", "build_example_platform", "example_requests"]

PUBLISHED = "claimants_by_lsoa"
"""The department's published small-area product, named as the worklessness demo names it."""

EXAMPLE_DATASETS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("carers", "dwp", "carers_allowance", ("carers", "benefits", "vaccination")),
    ("worklessness", "dwp", "benefit_claimants", ("benefits", "claimants", "worklessness")),
    ("worklessness", "dwp", "employment_outcomes", ("employment", "research")),
    ("trust", "dwp", "benefit_spells", ("trust", "benefits")),
    ("trust", "hmrc", "employment_spells", ("trust",)),
    ("trust", "dfe", "learners", ("trust",)),
)
"""(scenario, owner, name, tags) of every dataset the example requests name."""

_DEPARTMENTS = (
    ("hmrc", "HM Revenue and Customs"),
    ("dfe", "Department for Education"),
)


def example_requests() -> list[Path]:
    """The example request files, in name order."""
    return sorted(REQUESTS.glob("*.yaml"))


def _identities(app: Accord, expires: date, areas: tuple[str, ...]) -> None:
    operator = app.operator("examples")
    organisations = [
        (org_id, name, kind, scheme) for org_id, name, kind, scheme in DEMO_ORGANISATIONS
    ] + [(o, n, OrgKind.GOVERNMENT_DEPARTMENT, AssuranceScheme.ISO_27001) for o, n in _DEPARTMENTS]
    for org_id, name, kind, scheme in organisations:
        assurance = Assurance(scheme, f"{org_id.upper()}-{scheme.value.upper()}-0001", expires)
        app.identity.create_organisation(
            operator,
            org_id,
            name,
            kind,
            (assurance,),
            areas if kind is OrgKind.LOCAL_AUTHORITY else (),
        )
        roles = [Role.DATA_OWNER, Role.DPO, Role.LEGAL]
        for role in roles:
            app.identity.create_principal(
                operator, f"{org_id}.{role.value}", f"{name} {role.value}", PrincipalKind.PERSON,
                (Membership(org_id, role),),
            )  # fmt: skip
    for principal_id, org_id in (
        ("nhse.analyst", "nhse"),
        ("northshire.officer", "northshire"),
        ("pathways.adviser", "pathways"),
        ("ifsr.researcher", "ifsr"),
        ("dwp.analyst", "dwp"),
        ("hmrc.analyst", "hmrc"),
        ("dfe.analyst", "dfe"),
    ):
        app.identity.create_principal(
            operator,
            principal_id,
            principal_id,
            PrincipalKind.PERSON,
            (Membership(org_id, Role.REQUESTER), Membership(org_id, Role.ANALYST)),
        )


def build_example_platform(
    app: Accord,
    data: Path,
    *,
    scale: float = 0.0002,
    seed: int = 2021,
    assurance_expires: date | None = None,
) -> tuple[str, ...]:
    """Organisations, people and the example datasets in ``app``; synthetic files in ``data``.

    The local authority (``northshire``) serves the first district of the synthetic
    geography, whose code is returned with any others it serves.
    """
    from accord.synth import generate
    from accord.synth.scenarios import SCENARIOS

    for scenario in sorted({s for s, *_ in EXAMPLE_DATASETS}):
        generate(scenario, scale=scale, seed=seed, out=data / scenario)
    areas = pq.read_table(data / "worklessness" / "reference" / "output_areas.parquet")
    served = (str(areas.column("la_code")[0].as_py()),)
    expires = assurance_expires or date.today() + timedelta(days=365)
    _identities(app, expires, served)
    operator = app.operator("examples")
    for scenario, owner, name, tags in EXAMPLE_DATASETS:
        spec = next(d for d in SCENARIOS[scenario].datasets() if d.name == name)
        app.catalogue.register(
            operator,
            owner,
            name,
            str(data / scenario / f"{name}.parquet"),
            description=spec.description,
            tags=tags,
            owner_id=f"{owner}.{Role.DATA_OWNER.value}",
            overrides={f.name: f.semantic_type for f in spec.fields},
        )
    app.tables.publish(
        app.acting_as(f"dwp.{Role.DATA_OWNER.value}", "examples"),
        "dwp/benefit_claimants",
        ["lsoa_code"],
        ["benefit_type"],
        name=PUBLISHED,
        description="Claimants by benefit per LSOA, suppressed below 10, published quarterly",
        tags=("small-area",),
        protection=Protection.SUPPRESS,
    )
    return served
