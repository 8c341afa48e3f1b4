"""The carers world (seed 000) ready to be clicked through in a browser.

``accord demo carers --serve`` builds it in a kept home and serves the web service over
it; the browser tests and ``scripts/screenshots`` build the same world in a temporary
one. Unlike ``run_carers_demo``, nothing is decided here: the datasets are published
and the people exist, so that a newcomer signs in as NHS England's or Leeds City
Council's officer, asks for the carers data, and signs in as DWP's data owner, DPO and
legal adviser to decide, as seed 000 describes. ``examples=True`` also leaves one
approved agreement and one request waiting on DWP, so that every page has something to
show (the screenshots need it).

The web service's demonstration sign-in is on in this world (anyone may act as anyone
by choosing a name): that is its purpose, and it must never be a real home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from accord.core.identity import Assurance, AssuranceScheme, Membership, OrgKind, PrincipalKind
from accord.core.identity import Role as R
from accord.services.app import Accord
from accord.settings import load_settings

__all__ = ["DEMO_PEOPLE", "DemoPerson", "build_demo_world", "describe"]


@dataclass(frozen=True, slots=True)
class DemoPerson:
    id: str
    name: str
    organisation: str
    role: R
    job: str
    """What they do in seed 000's journey, in the words printed beside their name."""


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("nhse.analyst", "Nadia Hussain", "nhse", R.REQUESTER, "asks for the carers data"),
    DemoPerson(
        "leeds.officer", "Liam Walsh", "leeds", R.REQUESTER, "asks for data for the council"
    ),
    DemoPerson("dwp.data", "Dana Okafor", "dwp", R.DATA_OWNER, "decides for DWP's datasets"),
    DemoPerson("dwp.dpo", "Dev Patel", "dwp", R.DPO, "reviews requests for data protection"),
    DemoPerson("dwp.legal", "Lee Grant", "dwp", R.LEGAL, "reviews the legal basis"),
    DemoPerson("dwp.checker", "Olu Adeyemi", "dwp", R.AUDITOR, "checks outputs and the audit"),
    DemoPerson(
        "nhse.owner", "Noah Clarke", "nhse", R.DATA_OWNER, "decides for the patient register"
    ),
    DemoPerson("nhse.dpo", "Priya Shah", "nhse", R.DPO, "NHS England's data protection officer"),
)

_ORGANISATIONS = (
    (
        "dwp",
        "Department for Work and Pensions",
        OrgKind.GOVERNMENT_DEPARTMENT,
        AssuranceScheme.ISO_27001,
        (),
    ),
    ("nhse", "NHS England", OrgKind.HEALTH_BODY, AssuranceScheme.DSPT, ()),
    (
        "leeds",
        "Leeds City Council",
        OrgKind.LOCAL_AUTHORITY,
        AssuranceScheme.CYBER_ESSENTIALS_PLUS,
        ("E08000035",),
    ),
)

_DATASETS = (
    (
        "dwp",
        "carers_allowance",
        "People receiving Carer's Allowance: identifiers, names, date of birth and address.",
    ),
    (
        "dwp",
        "other_caring_benefits",
        "People receiving other benefits for caring, with the same fields as Carer's Allowance.",
    ),
    (
        "nhse",
        "patient_register",
        "The GP patient register: NHS number, names, date of birth, address and vaccination.",
    ),
)


def build_demo_world(
    home: Path, *, scale: float = 0.002, seed: int = 2021, examples: bool = False
) -> Accord:
    """Build the world under ``home`` (which must be new or empty) and return it open.

    The caller closes it. ``scale`` and ``seed`` are the synthetic population's, as for
    ``accord demo carers``.
    """
    from accord.synth import generate

    app = Accord.init(
        load_settings({"ACCORD_HOME": str(home / "home"), "ACCORD_WEB_DEMO_SIGN_IN": "1"}),
        operator="demo",
    )
    operator = app.operator("demo")
    expires = date.today() + timedelta(days=365)
    for org_id, name, kind, scheme, areas in _ORGANISATIONS:
        app.identity.create_organisation(
            operator,
            org_id,
            name,
            kind,
            (Assurance(scheme, f"{org_id}-assurance", expires),),
            areas=areas,
        )
    for person in DEMO_PEOPLE:
        app.identity.create_principal(
            operator,
            person.id,
            person.name,
            PrincipalKind.PERSON,
            (Membership(person.organisation, person.role),),
        )
    # Each organisation's own signing and encryption keys, for the test exchange and the
    # packages that seed 000's agreement requires before live data.
    for org_id, *_ in _ORGANISATIONS:
        app.org_keys.rotate(operator, org_id)
    synthetic = home / "synthetic"
    generate("carers", scale=scale, seed=seed, out=synthetic)
    for org, name, description in _DATASETS:
        app.catalogue.register(
            operator,
            org,
            name,
            str(synthetic / f"{name}.parquet"),
            description=description,
            tags=("carers", "seed 000"),
        )
    if examples:
        _examples(app)
    return app


def _examples(app: Accord) -> None:
    """NHS England's request for Carer's Allowance, approved by DWP's three reviewers
    (an active agreement), and its second request, for other caring benefits, submitted
    and waiting on DWP's data owner."""
    from accord.demo.carers import carers_request

    analyst = app.acting_as("nhse.analyst", "demo")
    first = app.requests.create(analyst, carers_request(("carers_allowance",)))
    app.requests.submit(analyst, first.id)
    app.requests.start_review(app.acting_as("dwp.data", "demo"), first.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        if app.requests.approve(app.acting_as(who, "demo"), first.id).agreement is not None:
            break
    else:
        raise RuntimeError("the example carers request was not approved by DWP's three reviewers")
    second = app.requests.create(analyst, carers_request(("other_caring_benefits",)))
    app.requests.submit(analyst, second.id)


def describe(person: DemoPerson, organisations: dict[str, str]) -> str:
    """``Dana Okafor — data owner, Department for Work and Pensions: decides for …``."""
    role = person.role.value.replace("_", " ")
    role = {
        "dpo": "data protection officer",
        "legal": "legal adviser",
        "auditor": "output checker and auditor",
    }.get(role, role)
    return f"{person.name} — {role}, {organisations[person.organisation]}: {person.job}"
