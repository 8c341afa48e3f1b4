"""The Accord application object: settings, store, keys and the services over them.

The CLI, the API and the tests all build this one object (like datasette's ``Datasette``),
so every interface runs the same use cases with the same rules.
"""

from __future__ import annotations

import getpass
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from accord.core.audit import AuditEvent
from accord.core.identity import Organisation, OrgKind
from accord.core.permissions import Caller
from accord.errors import AccordError, ConfigurationError
from accord.fsutil import PRIVATE_DIR, PRIVATE_FILE, sweep_temp, translating_storage_errors
from accord.ingest.limits import ReadLimits
from accord.keys import KeyStore
from accord.services.agreements import AgreementService
from accord.services.audit import AuditService
from accord.services.catalogue import CatalogueService
from accord.services.disclosure import AirlockService, BatchValidationService, TableService
from accord.services.identity import IdentityService
from accord.services.linkage import LinkageService
from accord.services.org_keys import OrgKeyService
from accord.services.plane import PlaneService
from accord.services.publication import checkpoint_publisher
from accord.services.requests import RequestService
from accord.services.sharing import SharingService
from accord.services.transfer import TransferService
from accord.settings import Settings, load_settings
from accord.store import Store, connect_engine
from accord.store.migrate import current_heads, head_revisions, migrate

__all__ = ["PLATFORM_ORG", "Accord", "private_home"]

log = logging.getLogger("accord")

PRIVATE_UMASK = 0o077
"""The umask of every process that opens Accord: whatever it creates from then on (the
store and SQLite's -wal, -shm and -journal, dataset versions, extracts, packages, logs)
is readable by Accord's user alone, since it is personal data or keys."""

PLATFORM_ORG = "platform"
BATCH_OVERLAP_SECRET = "batch-overlap"  # noqa: S105 - the key's name, not the key
"""Keys the hashes under which batch members are remembered for overlap control."""


@dataclass
class Accord:
    settings: Settings
    store: Store
    keys: KeyStore
    identity: IdentityService
    catalogue: CatalogueService
    audit: AuditService
    requests: RequestService
    agreements: AgreementService
    plane: PlaneService
    sharing: SharingService
    linkage: LinkageService
    tables: TableService
    batches: BatchValidationService
    airlock: AirlockService
    platform_org: str
    org_keys: OrgKeyService
    transfer: TransferService

    @classmethod
    def init(cls, settings: Settings | None = None, *, operator: str | None = None) -> Accord:
        """Create (or bring up to date) the home: keys, schema and the platform organisation.

        Safe to run again: existing keys are kept and migrations are idempotent.
        """
        settings = settings or load_settings()
        os.umask(PRIVATE_UMASK)
        with translating_storage_errors(settings.home):
            settings.home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            keys = KeyStore.open(settings.home, settings.master_key, create=True)
            keys.audit_signer(create=True)
            engine = connect_engine(settings.database_url)
            migrate(engine)
            engine.dispose()
        app = cls.open(settings)
        if app.identity.platform_organisation() is None:
            caller = Caller.local_operator(operator or _os_user(), PLATFORM_ORG)
            app.identity.create_organisation(
                caller, PLATFORM_ORG, "Accord platform operator", OrgKind.PLATFORM_OPERATOR
            )
        return app

    @classmethod
    def open(cls, settings: Settings | None = None) -> Accord:
        """The application over an initialised home; a clear error says when it is not."""
        settings = settings or load_settings()
        os.umask(PRIVATE_UMASK)
        if settings.sqlite_path is not None and not settings.sqlite_path.exists():
            raise ConfigurationError(
                f"there is no Accord store at {settings.sqlite_path}. "
                "Run `accord init` first, or set ACCORD_HOME to an initialised home."
            )
        private_home(settings)
        keys = KeyStore.open(settings.home, settings.master_key)
        engine = connect_engine(settings.database_url)
        if current_heads(engine) != head_revisions():
            raise ConfigurationError(
                f"the store at {engine.url.render_as_string(hide_password=True)} is not at the "
                "current schema. Run `accord init` to migrate it."
            )
        publisher = checkpoint_publisher(settings)
        store = Store(
            engine,
            signer=keys.audit_signer(),
            checkpoint_every=settings.checkpoint_every,
            checkpoint_seconds=settings.checkpoint_seconds,
            on_commit=publisher,
        )
        publisher.attach(store)
        identity = IdentityService(store, token_ttl_days=settings.token_ttl_days)
        platform = identity.platform_organisation()
        plane = PlaneService(store, keys, home=settings.home)
        org_keys = OrgKeyService(store, keys)
        _sweep(store, settings)
        return cls(
            settings=settings,
            store=store,
            keys=keys,
            identity=identity,
            catalogue=CatalogueService(
                store, data_dir=settings.home / "data", limits=ReadLimits.of(settings)
            ),
            audit=AuditService(store, keys.public_key("audit-checkpoint"), publisher),
            requests=RequestService(store, keys),
            agreements=AgreementService(store, keys),
            plane=plane,
            sharing=SharingService(store, plane, keys, token_ttl_days=settings.token_ttl_days),
            linkage=LinkageService(store, plane, engine=settings.engine),
            tables=TableService(store, data_dir=settings.home / "data", plane=plane),
            batches=BatchValidationService(
                store,
                plane,
                overlap_key=keys.secret(BATCH_OVERLAP_SECRET, create=True),
                deadline_ms=settings.batch_deadline_ms,
                max_records=settings.batch_max_records,
                refusals_per_minute=settings.batch_refusals_per_minute,
            ),
            airlock=AirlockService(store, data_dir=settings.home / "data"),
            platform_org=platform.id if platform else PLATFORM_ORG,
            org_keys=org_keys,
            transfer=TransferService(store, org_keys, plane),
        )

    def operator(self, user: str | None = None) -> Caller:
        """The local command line's caller, with the platform's authority."""
        return Caller.local_operator(user or _os_user(), self.platform_org)

    def acting_as(self, principal_id: str, user: str | None = None) -> Caller:
        """The local operator acting for a named principal, with that principal's roles only.

        Governance actions need a person; the audit log records both who and through whom.
        """
        principal = self.store.get_principal(principal_id)
        return Caller.for_principal(
            principal, self.platform_org, via=f"operator:{user or _os_user()}"
        )

    def platform(self) -> Organisation:
        return self.store.get_organisation(self.platform_org)

    def record(self, event: AuditEvent) -> None:
        self.store.record(event)

    def close(self) -> None:
        self.store.engine.dispose()

    @property
    def home(self) -> Path:
        return self.settings.home


def private_home(settings: Settings) -> None:
    """Tighten the home to Accord's user: the home and every directory in it 0700, the
    SQLite store and its companion files 0600.

    An existing home with looser modes (one made before this rule, or copied with a
    permissive umask) is tightened, with a warning, rather than refused: the files hold
    personal data and keys, and nobody else has a reason to read them.
    """
    home = settings.home
    if not home.is_dir():
        return
    targets: list[tuple[Path, int]] = [(home, PRIVATE_DIR)]
    targets += [
        (Path(directory) / name, PRIVATE_DIR)
        for directory, dirnames, _ in os.walk(home)
        for name in dirnames
    ]
    store = settings.sqlite_path
    if store is not None:
        targets += [
            (Path(f"{store}{suffix}"), PRIVATE_FILE) for suffix in ("", "-wal", "-shm", "-journal")
        ]
    for path, mode in targets:
        try:
            status = path.lstat()
        except FileNotFoundError:
            continue
        current = stat.S_IMODE(status.st_mode)
        if stat.S_ISLNK(status.st_mode):
            continue  # a link's target is not the home's to change
        if current & ~mode & 0o777:
            log.warning("tightening %s from %o to %o", path, current, mode)
            with translating_storage_errors(path):
                os.chmod(path, current & mode)


def _sweep(store: Store, settings: Settings) -> None:
    """Remove the temporary files killed writes left behind, and say how many were."""
    removed = sweep_temp(settings.home, grace_seconds=settings.temp_grace_seconds)
    if not removed:
        return
    event = AuditEvent(
        actor=f"operator:{_os_user()}",
        action="storage.temp_swept",
        object="home",
        reason="temporary files left by interrupted writes removed at start",
        details={"count": removed},
    )
    try:
        store.record(event)
    except AccordError as exc:  # the sweep happened; a store that cannot say so is told
        log.warning("removed %d temporary files but could not audit it: %s", removed, exc)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
