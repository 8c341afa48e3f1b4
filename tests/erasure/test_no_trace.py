"""An accepted erasure leaves no trace of the person in any holder's data, and Accord's own
records name them only by the pseudonymous reference."""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlalchemy import inspect, text

from accord.core.identifiers import normalise_nino
from accord.core.lifecycle.erasure import ErasureState, ParticipationFacts, Programme, ReferralKind
from accord.demo.provider_steps.erasure import hold_copies, participants
from accord.demo.provider_world import ProviderWorld
from accord.services.erasure import ErasureService


def _files(world: ProviderWorld, root: Path) -> list[Path]:
    """Every Parquet file under ``root`` but the department's own datasets (the synthetic
    source and the catalogue's versions of it): the referral information is kept on DWP
    systems (paras 28-29)."""
    kept = (world.synthetic, world.app.home / "data" / "dwp")
    return [p for p in root.rglob("*.parquet") if not any(k in p.parents for k in kept)]


def _traces(files: list[Path], person: dict[str, str]) -> dict[str, int]:
    """Rows of each file holding the NINO in any column and any typed form, or the name
    together with the postcode."""
    found = {}
    nino = normalise_nino(person["nino"])
    with duckdb.connect() as con:
        for path in files:
            columns = con.execute(
                "select column_name, column_type from (describe select * from read_parquet(?))",
                [str(path)],
            ).fetchall()
            text_columns = {c for c, t in columns if t == "VARCHAR"}
            tests = [
                f"upper(regexp_replace(\"{c}\", '[^A-Za-z0-9]', '', 'g')) = $nino"
                for c in sorted(text_columns)
            ]
            params = {"path": str(path), "nino": nino}
            if {"forename", "surname", "postcode"} <= text_columns:
                tests.append("(forename = $f and surname = $s and postcode = $p)")
                params |= {"f": person["forename"], "s": person["surname"], "p": person["postcode"]}
            if len(tests) == 0:
                continue
            sql = f"select count(*) from read_parquet($path) where {' or '.join(tests)}"
            n = con.execute(sql, params).fetchone()
            if n and n[0]:
                found[path.name] = int(n[0])
    return found


def _store_text(world: ProviderWorld) -> str:
    """Every row of every table of the metadata store (the audit log, the notices, the
    erasure requests…), as one text."""
    engine = world.app.store.engine
    out = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'select * from "{table}"')):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def test_an_accepted_erasure_leaves_no_trace_in_any_holder(
    provider_world: ProviderWorld, tmp_path: Path
) -> None:
    world = provider_world
    chosen = participants(world)
    person = chosen[0]
    hold_copies(world, chosen)
    files = _files(world, tmp_path)
    before = _traces(files, person)
    assert len(before) >= 3, before  # the package, the materialised view, Ridgeway's copy

    service = ErasureService.of(world.app)
    dpo = world.caller("northfield.dpo")
    typed = person["nino"].lower()[:2] + " " + person["nino"][2:].lower()  # as a person types it
    name = f"{person['forename']} {person['surname']}"
    request, holding = service.receive(
        dpo, world.agreement.id, nino=typed, name=name, address=(person["postcode"],)
    )
    assert name in holding
    service.refer(dpo, request.id)
    service.assign_reference(world.caller("dwp.dpo"), request.id, "DPO-2026-0001")
    kind = Programme.JETS if person["programme"] == "WHP-JETS" else Programme.WHP
    service.decide(dpo, request.id, ParticipationFacts(kind, ReferralKind.VOLUNTARY, False))
    erasing, letter = service.issue_letter(dpo, request.id)
    assert "WHP RTE Acc" in letter
    assert "DPO-2026-0001" in letter
    assert erasing.state is ErasureState.ERASING
    assert {h.holder for h in erasing.holders} == {"northfield", "ridgeway"}

    service.erase_holdings(dpo, request.id, "northfield")
    closed = service.erase_holdings(world.caller("ridgeway.admin"), request.id, "ridgeway")
    assert closed.state is ErasureState.CLOSED

    assert _traces(_files(world, tmp_path), person) == {}
    # The other participants are still there: only the person was erased.
    assert _traces(_files(world, tmp_path), chosen[1])

    # Each holder's certificate is signed by its own key and verifies.
    retention = service.retention
    for holder in closed.holders:
        signed = retention.lifecycle.get_certificate(holder.certificate_id)
        assert signed.certificate.holder == holder.holder
        assert retention.verify(signed).allowed
        assert person["nino"] not in signed.to_json()

    # Accord's records: the pseudonymous reference, never the NINO, name or postcode.
    stored = _store_text(world)
    assert closed.person_ref in stored
    for trace in (
        normalise_nino(person["nino"]),
        typed,
        name,
        person["surname"],
        person["postcode"],
    ):
        assert trace not in stored, trace


def test_a_rejected_request_forgets_the_addressee_when_it_closes(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    person = participants(world)[1]
    service = ErasureService.of(world.app)
    dpo = world.caller("northfield.dpo")
    request, _ = service.receive(
        dpo, world.agreement.id, nino=person["nino"], name="Grace Hopper", address=("1 Navy Yard",)
    )
    assert service.repository.get(request.id).addressee_name == "Grace Hopper"
    service.refer(dpo, request.id)
    service.assign_reference(world.caller("dwp.dpo"), request.id, "DPO-2026-0002")
    service.decide(dpo, request.id, ParticipationFacts(Programme.WHP, ReferralKind.MANDATED, True))
    closed, letter = service.issue_letter(dpo, request.id)
    assert "Dear Grace Hopper," in letter
    assert "WHP RTE REJ" in letter
    assert closed.state is ErasureState.CLOSED
    assert (closed.nino, closed.addressee_name, closed.addressee_address) == ("", "", ())
    assert closed.holders == ()
    stored = _store_text(world)
    assert "Grace Hopper" not in stored
    assert normalise_nino(person["nino"]) not in stored


def test_an_accepted_erasure_is_known_to_later_releases_by_reference_only(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    service = ErasureService.of(world.app)
    dpo = world.caller("northfield.dpo")
    request, _ = service.receive(dpo, world.agreement.id, nino="JG103759A", name="Ann Other")
    service.refer(dpo, request.id)
    service.assign_reference(world.caller("dwp.dpo"), request.id, "DPO-5")
    service.decide(
        dpo, request.id, ParticipationFacts(Programme.WHP, ReferralKind.VOLUNTARY, False)
    )
    assert not service.is_erased(world.agreement.id, "JG103759A")  # not yet answered
    service.issue_letter(dpo, request.id)
    assert service.is_erased(world.agreement.id, "jg 10 37 59 a")
    assert not service.is_erased(world.agreement.id, "AB123456C")
    assert not service.is_erased("agr-other", "JG103759A")
