"""Delta Sharing: recipients read their governed views in place, over an open protocol.

Each agreement a recipient receives is a *share* with one schema (``governed``) whose
tables are the agreement's governed views, one per dataset. A recipient principal holds
a bearer token for one share (:mod:`accord.core.sharing.access`). Every call re-asks the
data plane's :func:`~accord.core.plan.authorise.can_use` with the Delta Sharing channel,
so suspending, revoking or letting an agreement expire stops serving at once.

A query answers with file actions that point at the governed view materialised as
Parquet for (agreement version, dataset version, opt-out register) by
:meth:`~accord.services.plane.PlaneService.materialise`: one source, read many times,
never copied per recipient. The file URLs are signed, short-lived
(:mod:`accord.core.sharing.signing`), and each fetch checks the agreement and the
credential again. Every query and every file fetch is in the audit log, and so is
every refusal, with its reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from accord.core.audit import AuditEvent, Decision
from accord.core.catalogue import Dataset
from accord.core.governance.records import AgreementRecord
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict
from accord.core.plan.authorise import PlaneChannel, can_use, hides_agreement
from accord.core.plan.release import GovernedRelease
from accord.core.sharing.access import (
    SHARE_TOKEN_PREFIX,
    ShareToken,
    can_issue_share_token,
    share_token_problem,
)
from accord.core.sharing.changes import (
    MAX_CHANGE_VERSIONS,
    ChangeRange,
    Commit,
    change_line,
    commits_in,
    parse_timestamp,
    version_at,
    version_from,
    version_until,
)
from accord.core.sharing.endpoint import check_share_endpoint
from accord.core.sharing.protocol import (
    SCHEMA,
    ByteRange,
    Page,
    file_line,
    metadata_line,
    paginate,
    parse_range,
    protocol_line,
    table_version,
)
from accord.core.sharing.signing import FileClaim, SignedURL, sign_file, verify_file
from accord.errors import AuthenticationError, NotFoundError, PermissionDenied, ValidationError
from accord.keys import KeyStore
from accord.services.changefeed import ChangeFeed
from accord.services.guard import authorise, refuse
from accord.services.identity import hash_secret
from accord.services.plane import PlaneService, view_name
from accord.services.reviews import standing_of
from accord.services.spark_schema import spark_schema
from accord.store import Store

__all__ = [
    "SHARE_CREDENTIALS_VERSION",
    "URL_SECONDS",
    "QueryOptions",
    "Recipient",
    "ServedFile",
    "SharingService",
    "TableAnswer",
]

URL_SECONDS = 300
"""How long a file URL lives: long enough to read a large file, short enough that a
URL handed on or left in a log lapses within minutes."""
SIGNING_SECRET = "delta-sharing-urls"  # noqa: S105 - the key's name, not the key
SHARE_CREDENTIALS_VERSION = 1


@dataclass(frozen=True, slots=True)
class Recipient:
    """An authenticated Delta Sharing caller: the credential and who it stands for."""

    token: ShareToken
    caller: Caller


@dataclass(frozen=True, slots=True)
class TableAnswer:
    version: int
    lines: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class QueryOptions:
    """The parts of a query request Accord acts on. Predicate and limit hints are hints
    in the protocol: a server may return more, and Accord returns the whole view."""

    version: int | None = None
    timestamp: str | None = None
    starting_version: int | None = None

    @classmethod
    def parse(cls, body: dict[str, Any]) -> QueryOptions:
        def integer(name: str) -> int | None:
            value = body.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(f"{name} must be an integer, not {value!r}")
            return value

        timestamp = body.get("timestamp")
        if timestamp is not None and not isinstance(timestamp, str):
            raise ValidationError(f"timestamp must be a string, not {timestamp!r}")
        return cls(integer("version"), timestamp, integer("startingVersion"))


@dataclass(frozen=True, slots=True)
class ServedFile:
    path: Path
    size: int
    range: ByteRange | None


class SharingService:
    def __init__(
        self,
        store: Store,
        plane: PlaneService,
        keys: KeyStore,
        *,
        token_ttl_days: int,
        url_seconds: int = URL_SECONDS,
    ) -> None:
        self.store = store
        self.plane = plane
        self.token_ttl_days = token_ttl_days
        self.url_seconds = url_seconds
        self._key = keys.secret(SIGNING_SECRET, create=True)
        self.feed = ChangeFeed(store, plane)
        self.max_change_versions = MAX_CHANGE_VERSIONS

    # -- credentials -----------------------------------------------------------------

    def _agreement(self, caller: Caller, agreement_id: str, action: str) -> AgreementRecord:
        """The agreement, for the platform's operators and admins and the staff of its
        parties; a missing one and another organisation's answer alike, both audited."""
        try:
            agreement: AgreementRecord | None = self.store.get_agreement(agreement_id)
        except NotFoundError:
            agreement = None
        if agreement is None or (
            not caller.is_platform_admin and hides_agreement(caller, agreement)
        ):
            refuse(
                self.store,
                caller,
                action,
                f"agreement:{agreement_id}",
                "",
                "no such agreement"
                if agreement is None
                else "the caller's organisation is not a party to it; answered as not found",
            )
            raise NotFoundError(f"no agreement {agreement_id!r}")
        return agreement

    def issue_token(
        self,
        caller: Caller,
        agreement_id: str,
        principal_id: str,
        *,
        ttl_days: int | None = None,
        description: str = "",
    ) -> tuple[ShareToken, str]:
        """A recipient credential for one share, and its secret (returned once, never kept)."""
        agreement = self._agreement(caller, agreement_id, "share.token.issue")
        principal = self.store.get_principal(principal_id)
        days = self.token_ttl_days if ttl_days is None else ttl_days
        if not 1 <= days <= 366:
            raise ValidationError(f"--ttl-days must be between 1 and 366, not {days}")
        token_id = "dst_" + secrets.token_hex(6)
        event = authorise(
            self.store,
            caller,
            can_issue_share_token(caller, principal, agreement),
            action="share.token.issue",
            obj=f"share-token:{token_id}",
            organisation=agreement.policy.recipient,
            agreement=agreement.id,
            principal=principal.id,
            ttl_days=days,
        )
        secret = SHARE_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.store.clock()
        token = ShareToken(
            id=token_id,
            agreement_id=agreement.id,
            principal_id=principal.id,
            prefix=secret[: len(SHARE_TOKEN_PREFIX) + 6],
            created_at=now,
            expires_at=now + timedelta(days=days),
            description=description,
        )
        self.store.add_share_token(token, hash_secret(secret), audit=event)
        return token, secret

    def profile(
        self,
        caller: Caller,
        agreement_id: str,
        principal_id: str,
        endpoint: str,
        *,
        ttl_days: int | None = None,
        allow_http: bool = False,
    ) -> tuple[ShareToken, dict[str, Any]]:
        """A new credential as the standard profile file a Delta Sharing client reads.

        A plain-http endpoint off loopback is refused unless ``allow_http``
        (:func:`accord.core.sharing.endpoint.check_share_endpoint` says why).
        """
        endpoint = check_share_endpoint(endpoint, allow_http=allow_http)
        token, secret = self.issue_token(
            caller, agreement_id, principal_id, ttl_days=ttl_days, description="profile"
        )
        return token, {
            "shareCredentialsVersion": SHARE_CREDENTIALS_VERSION,
            "endpoint": endpoint,
            "bearerToken": secret,
            "expirationTime": token.expires_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }

    def revoke_token(self, caller: Caller, token_id: str) -> ShareToken:
        token = self.store.get_share_token(token_id)
        agreement = self.store.get_agreement(token.agreement_id)
        recipient = agreement.policy.recipient
        verdict = (
            Verdict(True, "local operator")
            if caller.operator
            else Verdict(
                caller.is_platform_admin
                or caller.has_role(recipient, Role.ADMIN)
                or (caller.principal is not None and caller.principal.id == token.principal_id),
                f"only {token.principal_id}, an admin of {recipient!r} or the platform "
                "operator may revoke this share token",
            )
        )
        event = authorise(
            self.store,
            caller,
            verdict,
            action="share.token.revoke",
            obj=f"share-token:{token.id}",
            organisation=recipient,
            agreement=token.agreement_id,
        )
        self.store.revoke_share_token(token.id, self.store.clock(), audit=event)
        return self.store.get_share_token(token.id)

    def list_tokens(self, caller: Caller, agreement_id: str) -> list[ShareToken]:
        agreement = self._agreement(caller, agreement_id, "share.token.list")
        recipient = agreement.policy.recipient
        authorise(
            self.store,
            caller,
            Verdict(
                caller.operator
                or caller.is_platform_admin
                or caller.has_role(recipient, Role.ADMIN, *_USE_ROLES),
                f"only staff of {recipient!r} or the platform operator may list its share tokens",
            ),
            action="share.token.list",
            obj=f"agreement:{agreement.id}",
            organisation=recipient,
        )
        return self.store.list_share_tokens(agreement_id=agreement.id)

    def authenticate(
        self, secret: str | None, access: str, platform_org: str, *, record_refusal: bool = True
    ) -> Recipient:
        """The recipient a bearer token stands for; a refusal is recorded and raised as 401.

        The API passes ``record_refusal=False``: it counts its 401s per interval instead
        (:mod:`accord.api.rate_limits`), so a flood of bad tokens cannot flood the log."""
        token = self.store.find_share_token(hash_secret(secret)) if secret else None
        if token is None:
            reason = "no bearer token" if not secret else "unknown share token"
        else:
            reason = share_token_problem(token, self.store.clock())
        if token is None or reason:
            if record_refusal:
                self.store.record(
                    AuditEvent(
                        actor=f"share-token:{token.id}" if token else "anonymous",
                        action="sharing.authenticate",
                        object=access,
                        decision=Decision.DENY,
                        reason=reason,
                    )
                )
            raise AuthenticationError(reason)
        principal = self.store.get_principal(token.principal_id)
        caller = Caller.for_principal(
            principal, platform_org, token_id=token.id, via=f"share-token:{token.id}"
        )
        return Recipient(token, caller)

    # -- the share tree --------------------------------------------------------------

    def _open_share(
        self, recipient: Recipient, share: str, action: str, *, record: bool = True, **details: Any
    ) -> AgreementRecord:
        """The agreement behind ``share`` if this credential may read it now, recording the
        access (unless the caller records its own event for it); another share answers as
        not found, as another organisation's agreement does. A refusal is always recorded."""
        caller = recipient.caller
        if share != recipient.token.agreement_id:
            raise self._not_found(
                recipient, action, f"share:{share}", f"no share {share!r} for this credential"
            )
        agreement = self.store.get_agreement(share)
        organisation = self.store.get_organisation(agreement.policy.recipient)
        event = authorise(
            self.store,
            caller,
            can_use(
                caller,
                agreement,
                PlaneChannel.DELTA_SHARING,
                organisation,
                self._today(),
                review=standing_of(self.store, agreement),
            ),
            action=action,
            obj=f"agreement:{agreement.id}:v{agreement.version}",
            organisation=agreement.policy.recipient,
            **details,
        )
        if record:
            self.store.record(event)
        return agreement

    def _not_found(
        self, recipient: Recipient, action: str, obj: str, message: str
    ) -> NotFoundError:
        self.store.record(
            AuditEvent(
                actor=recipient.caller.actor,
                action=action,
                object=obj,
                decision=Decision.DENY,
                reason=message,
                details={"via": recipient.caller.via},
            )
        )
        return NotFoundError(message)

    def _today(self) -> date:
        return self.store.clock().date()

    def _datasets(self, agreement: AgreementRecord) -> list[Dataset]:
        datasets = [self.store.get_dataset(d.dataset) for d in agreement.policy.datasets]
        return sorted(datasets, key=view_name)

    @staticmethod
    def _share_item(agreement: AgreementRecord) -> dict[str, Any]:
        return {"name": agreement.id, "id": agreement.id}

    @staticmethod
    def _table_item(agreement: AgreementRecord, dataset: Dataset) -> dict[str, Any]:
        return {
            "name": view_name(dataset),
            "schema": SCHEMA,
            "share": agreement.id,
            "shareId": agreement.id,
            "id": f"{agreement.id}.{dataset.id}",
        }

    def list_shares(
        self, recipient: Recipient, max_results: int | None, page_token: str | None
    ) -> Page[dict[str, Any]]:
        agreement = self._open_share(recipient, recipient.token.agreement_id, "sharing.list")
        return paginate([self._share_item(agreement)], max_results, page_token)

    def get_share(self, recipient: Recipient, share: str) -> dict[str, Any]:
        return self._share_item(self._open_share(recipient, share, "sharing.list"))

    def list_schemas(
        self, recipient: Recipient, share: str, max_results: int | None, page_token: str | None
    ) -> Page[dict[str, Any]]:
        agreement = self._open_share(recipient, share, "sharing.list")
        return paginate([{"name": SCHEMA, "share": agreement.id}], max_results, page_token)

    def list_tables(
        self,
        recipient: Recipient,
        share: str,
        schema: str | None,
        max_results: int | None,
        page_token: str | None,
    ) -> Page[dict[str, Any]]:
        """The share's tables: in ``schema``, or in every schema when it is ``None``."""
        agreement = self._open_share(recipient, share, "sharing.list")
        if schema is not None and schema != SCHEMA:
            raise self._not_found(
                recipient, "sharing.list", f"share:{share}", f"share {share!r} has no schema "
                f"{schema!r}; its one schema is {SCHEMA!r}",
            )  # fmt: skip
        items = [self._table_item(agreement, d) for d in self._datasets(agreement)]
        return paginate(items, max_results, page_token)

    def _table(
        self,
        recipient: Recipient,
        share: str,
        schema: str,
        table: str,
        action: str,
        *,
        record: bool = True,
    ) -> tuple[AgreementRecord, Dataset]:
        agreement = self._open_share(
            recipient, share, action, record=record, table=f"{schema}.{table}"
        )
        for dataset in self._datasets(agreement):
            if schema == SCHEMA and view_name(dataset) == table:
                return agreement, dataset
        raise self._not_found(
            recipient, action, f"share:{share}",
            f"share {share!r} has no table {schema}.{table}",
        )  # fmt: skip

    def _release(
        self, recipient: Recipient, agreement: AgreementRecord, dataset: Dataset, action: str
    ) -> GovernedRelease:
        """The table's rows on the one release path: every term of the agreement, again."""
        return self.plane.release(
            recipient.caller,
            agreement.id,
            dataset.id,
            PlaneChannel.DELTA_SHARING,
            action=action,
            details={"table": f"{SCHEMA}.{view_name(dataset)}"},
        )

    def table_version(
        self,
        recipient: Recipient,
        share: str,
        schema: str,
        table: str,
        starting_timestamp: str | None = None,
    ) -> int:
        """The current version, or the first at or after ``starting_timestamp``."""
        agreement, dataset = self._table(
            recipient, share, schema, table, "sharing.version", record=False
        )
        commits = self.feed.commits(agreement, dataset)
        obj = f"agreement:{agreement.id}:v{agreement.version}"
        with self._refused_as(recipient, agreement, "sharing.version", obj, table):
            if starting_timestamp is None:
                commit = commits[-1]
            else:
                moment = parse_timestamp("startingTimestamp", starting_timestamp)
                commit = version_from(commits, "startingTimestamp", moment)
        self.store.record(
            AuditEvent(
                actor=recipient.caller.actor,
                action="sharing.version",
                object=obj,
                organisation=agreement.policy.recipient,
                reason=f"table version {commit.version} of {dataset.id}",
                details={
                    "via": recipient.caller.via,
                    "table": f"{schema}.{table}",
                    "table_version": commit.version,
                    **({"starting_timestamp": starting_timestamp} if starting_timestamp else {}),
                },
            )
        )
        return commit.version

    @contextmanager
    def _refused_as(
        self, recipient: Recipient, agreement: AgreementRecord, action: str, obj: str, table: str
    ) -> Iterator[None]:
        """A bad parameter is refused on the record, with the message the caller gets."""
        try:
            yield
        except ValidationError as exc:
            self.store.record(
                AuditEvent(
                    actor=recipient.caller.actor,
                    action=action,
                    object=obj,
                    organisation=agreement.policy.recipient,
                    decision=Decision.DENY,
                    reason=exc.message,
                    details={"via": recipient.caller.via, "table": f"{SCHEMA}.{table}"},
                )
            )
            raise

    def _materialised(self, release: GovernedRelease) -> tuple[Path, int]:
        path = self.plane.materialise(release)
        return path, table_version(release.agreement.version, release.version.number)

    def _metadata(
        self, agreement: AgreementRecord, dataset: Dataset, path: Path, version: int
    ) -> dict[str, Any]:
        parquet = pq.ParquetFile(path)
        descriptions = {f.name: f.description for f in dataset.fields}
        return metadata_line(
            f"{agreement.id}.{dataset.id}",
            view_name(dataset),
            f"{dataset.description} Governed by agreement {agreement.id} "
            f"v{agreement.version}.".strip(),
            spark_schema(parquet.schema_arrow, descriptions),
            version=version,
            size=path.stat().st_size,
            num_files=1,
            configuration={"enableChangeDataFeed": "true"},
        )

    def metadata(self, recipient: Recipient, share: str, schema: str, table: str) -> TableAnswer:
        agreement, dataset = self._table(
            recipient, share, schema, table, "sharing.metadata", record=False
        )
        release = self._release(recipient, agreement, dataset, "sharing.metadata")
        path, version = self._materialised(release)
        self.store.record(release.event)
        return TableAnswer(
            version, (protocol_line(), self._metadata(agreement, dataset, path, version))
        )

    def query(
        self,
        recipient: Recipient,
        share: str,
        schema: str,
        table: str,
        options: QueryOptions,
        file_url: Callable[[SignedURL], str],
    ) -> TableAnswer:
        """The table's snapshot, current or at a past ``version`` or ``timestamp`` (time
        travel, through today's agreement), as one signed, short-lived file URL."""
        agreement, dataset = self._table(
            recipient, share, schema, table, "sharing.query", record=False
        )
        release = self._release(recipient, agreement, dataset, "sharing.query")
        caller, obj = recipient.caller, f"agreement:{agreement.id}:v{agreement.version}"
        commits = self.feed.commits(agreement, dataset)
        with self._refused_as(recipient, agreement, "sharing.query", obj, table):
            commit = self._as_of(commits, options)
        path, version = self.feed.snapshot(release, commit.dataset_version), commit.version
        dataset_version = commit.dataset_version
        claim = FileClaim(
            recipient.token.id,
            agreement.id,
            agreement.version,
            dataset.id,
            dataset_version,
            _variant(path),
        )
        expires = int(self.store.clock().timestamp()) + self.url_seconds
        signed = sign_file(self._key, claim, expires)
        rows = pq.read_metadata(path).num_rows
        size = path.stat().st_size
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="sharing.query",
                object=obj,
                organisation=agreement.policy.recipient,
                reason=f"Delta Sharing query of {dataset.id} v{dataset_version}: " + release.reason,
                details={
                    "via": caller.via,
                    "dataset": dataset.id,
                    "dataset_version": dataset_version,
                    "table_version": version,
                    "file": claim.file_id,
                    "rows": rows,
                    "bytes": size,
                    "url_expires": expires,
                    "erasures": self.plane.erasures_applied(release),
                    "policy_sha256": agreement.policy.sha256(),
                },
            )
        )
        return TableAnswer(
            version,
            (
                protocol_line(),
                self._metadata(agreement, dataset, path, version),
                file_line(
                    file_url(signed),
                    claim.file_id,
                    size,
                    rows=rows,
                    expires_ms=expires * 1000,
                    version=version,
                ),
            ),
        )

    @staticmethod
    def _as_of(commits: tuple[Commit, ...], options: QueryOptions) -> Commit:
        if options.starting_version is not None:
            raise ValidationError(
                "startingVersion is not served by query; read changes from the changes "
                "endpoint (load_table_changes_as_pandas)"
            )
        if options.version is not None and options.timestamp is not None:
            raise ValidationError("give version or timestamp, not both")
        if options.version is not None:
            return version_at(commits, "version", options.version)
        if options.timestamp is not None:
            moment = parse_timestamp("timestamp", options.timestamp)
            return version_until(commits, "timestamp", moment)
        return commits[-1]

    def changes(
        self,
        recipient: Recipient,
        share: str,
        schema: str,
        table: str,
        wanted: ChangeRange,
        file_url: Callable[[SignedURL], str],
    ) -> TableAnswer:
        """The table's change data feed over a range of versions: per version, the rows
        it added to and removed from the governed view, as signed change files. The
        first version of the table's history has no earlier one, so its whole snapshot
        is served as an ``add``."""
        agreement, dataset = self._table(
            recipient, share, schema, table, "sharing.changes", record=False
        )
        release = self._release(recipient, agreement, dataset, "sharing.changes")
        caller, obj = recipient.caller, f"agreement:{agreement.id}:v{agreement.version}"
        commits = self.feed.commits(agreement, dataset)
        with self._refused_as(recipient, agreement, "sharing.changes", obj, table):
            spanned = commits_in(commits, wanted, limit=self.max_change_versions)
        expires = int(self.store.clock().timestamp()) + self.url_seconds
        lines: list[dict[str, Any]] = []
        counts = {"insert": 0, "delete": 0}
        files: list[str] = []
        for commit in spanned:
            if commit.dataset_version == commits[0].dataset_version:
                path = self.feed.snapshot(release, commit.dataset_version)
                rows, kind, changes_from = pq.read_metadata(path).num_rows, "add", 0
                counts["insert"] += rows
            else:
                change = self.feed.change_file(release, commit.dataset_version)
                path, rows, kind = change.path, change.rows, "cdf"
                changes_from = commit.dataset_version - 1
                counts["insert"] += change.inserts
                counts["delete"] += change.deletes
            if rows == 0:
                continue
            claim = FileClaim(
                recipient.token.id, agreement.id, agreement.version, dataset.id,
                commit.dataset_version, _variant(path), changes_from,
            )  # fmt: skip
            files.append(claim.file_id)
            size = path.stat().st_size
            url = file_url(sign_file(self._key, claim, expires))
            lines.append(
                change_line(
                    kind,
                    url,
                    claim.file_id,
                    size,
                    commit=commit,
                    rows=rows,
                    expires_ms=expires * 1000,
                )
            )
        schema_path = self.feed.snapshot(release, spanned[-1].dataset_version)
        first = spanned[0].version
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="sharing.changes",
                object=obj,
                organisation=agreement.policy.recipient,
                reason=f"Delta Sharing changes of {dataset.id} from table version {first} to "
                f"{spanned[-1].version}: " + release.reason,
                details={
                    "via": caller.via,
                    "dataset": dataset.id,
                    "dataset_versions": [c.dataset_version for c in spanned],
                    "table_versions": [first, spanned[-1].version],
                    "files": files,
                    "rows_inserted": counts["insert"],
                    "rows_deleted": counts["delete"],
                    "url_expires": expires,
                    "policy_sha256": agreement.policy.sha256(),
                },
            )
        )
        return TableAnswer(
            first,
            (
                protocol_line(),
                self._metadata(agreement, dataset, schema_path, spanned[-1].version),
                *lines,
            ),
        )

    # -- files -----------------------------------------------------------------------

    def open_file(
        self,
        token: str,
        expires: str,
        signature: str,
        *,
        method: str,
        range_header: str | None,
        platform_org: str,
    ) -> ServedFile:
        """The governed file a signed URL names, after checking the signature, the expiry,
        the credential and the agreement again; or a recorded refusal."""
        action, obj = "sharing.file", "file"
        try:
            claim = verify_file(self._key, token, expires, signature, self.store.clock())
        except PermissionDenied as exc:
            raise refuse(self.store, Caller("anonymous"), action, obj, "", exc.reason) from None
        obj = f"agreement:{claim.agreement}:v{claim.agreement_version}"
        share_token = self.store.get_share_token(claim.share_token)
        principal = self.store.get_principal(share_token.principal_id)
        caller = Caller.for_principal(
            principal, platform_org, token_id=share_token.id, via=f"share-token:{share_token.id}"
        )
        details: dict[str, Any] = {"file": claim.file_id, "method": method}
        problem = share_token_problem(share_token, self.store.clock())
        if problem:
            raise refuse(self.store, caller, action, obj, "", problem, **details)
        release = self.plane.release(
            caller,
            claim.agreement,
            claim.dataset,
            PlaneChannel.DELTA_SHARING,
            action=action,
            details=details,
        )
        agreement, event = release.agreement, release.event
        served = {c.dataset_version for c in self.feed.commits(agreement, release.dataset)}
        path: Path | None = None
        if claim.agreement_version == agreement.version and claim.dataset_version in served:
            if not claim.changes_from:
                path = self.feed.snapshot(release, claim.dataset_version)
            elif claim.changes_from == claim.dataset_version - 1:
                path = self.feed.change_path(release, claim.dataset_version)
        if path is None or _variant(path) != claim.variant:
            raise refuse(
                self.store,
                caller,
                action,
                obj,
                agreement.policy.recipient,
                "the file URL names a superseded version of the table; query it again",
                **details,
            )
        size = path.stat().st_size
        byte_range = parse_range(range_header, size) if method == "GET" else None
        sent = byte_range.length if byte_range else (size if method == "GET" else 0)
        self.store.record(
            AuditEvent(
                actor=event.actor,
                action=event.action,
                object=event.object,
                organisation=event.organisation,
                reason=event.reason,
                details={
                    **event.details,
                    "dataset": claim.dataset,
                    "range": byte_range.content_range(size) if byte_range else "",
                    "bytes": sent,
                },
            )
        )
        return ServedFile(path, size, byte_range)


_USE_ROLES = (Role.REQUESTER, Role.ANALYST)


def _variant(path: Path) -> str:
    """The opt-out fingerprint in a materialised file's name (``…-v3-<fingerprint>``)."""
    return path.stem.rsplit("-", 1)[-1]
