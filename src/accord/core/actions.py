"""Every action the audit log records, in one registry, each with what it means.

An action names what was done (or refused) in an event: ``extract.release``,
``request.approve``. Keeping them here, not as strings scattered over the services,
is what lets an auditor know the whole vocabulary of the log: ``docs/audit.md`` lists
every member with its description (``python -m accord.core.actions`` prints that
table), and ``tests/core/test_actions.py`` checks that every action string used in
``src/`` is registered and every registered action is documented.

The request and agreement workflows record ``request.<action>`` and
``agreement.<action>`` for each of their transitions' actions; those are registered
here by name too, and the test checks the two stay in step.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CREATING", "AuditAction", "markdown_table"]


class AuditAction(StrEnum):
    """An audit action: its value is what the log stores, ``description`` what it means."""

    description: str

    def __new__(cls, value: str, description: str) -> AuditAction:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    # -- access and identity ----------------------------------------------------
    API_ACCESS = (
        "api.access",
        "An API call by a valid token, the object its method and path; a deny is a refusal "
        "no service recorded (e.g. a missing object), written by the API's error handler.",
    )
    API_AUTHENTICATE = (
        "api.authenticate",
        "An API call refused before it began: no, unknown, revoked or expired token, or a "
        "request signature that is malformed, stale, replayed, or not a registered key's.",
    )
    ORG_CREATE = "org.create", "An organisation registered on the platform."
    ORG_ASSURANCE = "org.assurance", "An organisation's security assurances recorded or changed."
    ORG_AREAS = "org.areas", "The local authority districts an organisation serves, set or changed."
    ORG_LIST = "org.list", "The organisations listed."
    ORG_SHOW = "org.show", "One organisation shown."
    PRINCIPAL_CREATE = "principal.create", "A person or service account created, with its roles."
    PRINCIPAL_GRANT = "principal.grant", "A role in an organisation granted to a principal."
    PRINCIPAL_REVOKE = "principal.revoke", "A role in an organisation taken from a principal."
    PRINCIPAL_SHOW = "principal.show", "A principal and its roles shown."
    TOKEN_ISSUE = "token.issue", "An API token issued to a principal (only its hash is kept)."
    TOKEN_LIST = "token.list", "A principal's API tokens listed."
    TOKEN_REVOKE = "token.revoke", "An API token revoked."
    KEYS_ROTATE = "keys.rotate", "An organisation's signing and encryption keys rotated."
    KEYS_LIST = "keys.list", "An organisation's public keys listed."
    WEB_SIGN_IN = (
        "web.sign_in",
        "A sign-in to the web service (password and one-time code, an organisation's "
        "identity provider, or a demo's choice of user); a deny is a failed attempt.",
    )
    WEB_SIGN_OUT = "web.sign_out", "A web session ended by signing out."
    CLI_REFUSE = (
        "cli.refuse",
        "A command refused (e.g. a missing object) where no service recorded the refusal.",
    )

    # -- catalogue ------------------------------------------------------------
    CATALOGUE_LIST = "catalogue.list", "The catalogue of datasets listed (metadata only)."
    CATALOGUE_SEARCH = "catalogue.search", "The catalogue searched (metadata only)."
    CATALOGUE_SHOW = "catalogue.show", "One dataset's description shown (metadata only)."
    DATASET_REGISTER = "dataset.register", "A dataset registered by its owner, with its fields."
    DATASET_INGEST = "dataset.ingest", "A new version of a dataset loaded, with rows quarantined."
    DATASET_CLASSIFY = "dataset.classify", "A field's semantic type or category changed."

    # -- requests -------------------------------------------------------------
    REQUEST_CREATE = "request.create", "A data-sharing request drafted."
    REQUEST_EDIT = "request.edit", "A draft request changed, making a new revision."
    REQUEST_SUBMIT = "request.submit", "A request submitted for review with its assessment."
    REQUEST_START_REVIEW = "request.start_review", "An owner's reviewer took up a request."
    REQUEST_REQUEST_CHANGES = (
        "request.request_changes",
        "A reviewer sent a request back to its requester for changes.",
    )
    REQUEST_APPROVE = "request.approve", "An approval by one required role of one owner."
    REQUEST_APPROVE_FINAL = (
        "request.approve_final",
        "The approval that completed the set required: the agreement was made.",
    )
    REQUEST_REJECT = "request.reject", "A request rejected by a reviewer of an owner."
    REQUEST_WITHDRAW = "request.withdraw", "A request withdrawn by its requester."
    REQUEST_ASSESS = "request.assess", "A request (saved or not) assessed against the catalogue."
    REQUEST_LIST = "request.list", "Requests listed."
    REQUEST_SHOW = "request.show", "One request shown, with its reviews."
    REQUEST_OVERRIDE = "request.override", "A blocking finding overridden, with the reason."
    GATEWAYS_LIST = "gateways.list", "The register of legal gateways listed."
    GOVERNANCE_METRICS = "governance.metrics", "Governance metrics (times to decision) read."

    # -- agreements -----------------------------------------------------------
    AGREEMENT_ACTIVATE = "agreement.activate", "An agreement version made and signed."
    AGREEMENT_SHOW = "agreement.show", "An agreement, its policy or its ODRL shown."
    DECISION_LIST = (
        "decision.list",
        "Decision records (share, with conditions, do not share) listed.",
    )
    DECISION_SHOW = "decision.show", "One signed decision record shown, with its verification."
    AGREEMENT_SUSPEND = "agreement.suspend", "An agreement suspended: nothing is released."
    AGREEMENT_REINSTATE = "agreement.reinstate", "A suspended agreement made active again."
    AGREEMENT_REVOKE = "agreement.revoke", "An agreement revoked, for good."
    AGREEMENT_EXPIRE = "agreement.expire", "An agreement past its end date marked expired."
    AGREEMENT_SUPERSEDE = (
        "agreement.supersede",
        "An agreement version replaced by a newer one from an amending request.",
    )

    # -- the release path -----------------------------------------------------
    EXTRACT_RUN = "extract.run", "A governed extract asked for (a refusal names why)."
    PLAN_SCHEMA = (
        "plan.schema",
        "The governed view's schema computed with no rows (a probe; nothing is released).",
    )
    EXTRACT_RELEASE = "extract.release", "A governed extract released: rows, hash, file."
    QUERY_RUN = "query.run", "An in-place query asked for (a refusal names why)."
    QUERY_RELEASE = "query.release", "An in-place query's result released."
    CHECK_RUN = "check.run", "An eligibility check asked for (a refusal names why)."
    CHECK_RELEASE = "check.release", "An eligibility check's answers released."
    OPTOUT_ADD = "optout.add", "Identifiers added to an owner's opt-out register."
    LINK_RUN = "link.run", "A governed linkage asked for (a refusal names why)."
    LINK_RELEASE = "link.release", "A governed linkage's matches released."
    LINKAGE_RUN = (
        "linkage.run",
        "A recipient's matching of received data to its own records, recorded by it.",
    )

    # -- packages (transfer) --------------------------------------------------
    PACKAGE_SEND = "package.send", "An encrypted, signed package made for the recipient."
    PACKAGE_RECEIVE = "package.receive", "A package received, verified and decrypted (or refused)."
    PACKAGE_RECEIPT = "package.receipt", "The recipient's signed receipt for a package recorded."

    # -- Delta Sharing --------------------------------------------------------
    SHARE_TOKEN_ISSUE = "share.token.issue", "A Delta Sharing credential issued to a recipient."
    SHARE_TOKEN_LIST = "share.token.list", "Delta Sharing credentials listed."
    SHARE_TOKEN_REVOKE = "share.token.revoke", "A Delta Sharing credential revoked."
    SHARING_AUTHENTICATE = (
        "sharing.authenticate",
        "A Delta Sharing call refused for its credential: unknown, revoked or expired.",
    )
    SHARING_LIST = "sharing.list", "Shares, schemas or tables listed to a recipient."
    SHARING_VERSION = "sharing.version", "A shared table's version read."
    SHARING_METADATA = "sharing.metadata", "A shared table's metadata read."
    SHARING_QUERY = "sharing.query", "A shared table's files signed for a recipient to read."
    SHARING_FILE = "sharing.file", "A signed file URL fetched (or refused)."

    # -- change feeds (seed 003: changes of circumstances) -----------------------
    SHARING_CHANGES = (
        "sharing.changes",
        "A shared table's change data feed between two versions signed for a recipient "
        "to read (or refused, e.g. a range out of bounds).",
    )
    CHANGEFEED_NOTIFY = (
        "changefeed.notify",
        "A dataset's new version announced to the recipients reading it over Delta "
        "Sharing: change notices queued.",
    )

    # -- disclosure control ---------------------------------------------------
    DISCLOSURE_TABULATE = "disclosure.tabulate", "A table of counts or sums checked for release."
    DISCLOSURE_AGGREGATE = (
        "disclosure.aggregate",
        "Aggregate statistics of an owner's records released under an agreement naming them.",
    )
    DISCLOSURE_PUBLISH = (
        "disclosure.publish",
        "A disclosure-checked table published to the catalogue as a dataset.",
    )
    DISCLOSURE_RECORD_KEYS_DRAW = (
        "disclosure.record_keys.draw",
        "Cell-key perturbation record keys drawn for a dataset.",
    )
    DISCLOSURE_BATCH_CHECK_DEFINE = (
        "disclosure.batch_check.define",
        "A batch-validation check defined by the data owner.",
    )
    DISCLOSURE_BATCH_VALIDATE = (
        "disclosure.batch.validate",
        "A batch validated: only the proportion meeting the criterion is answered.",
    )
    AIRLOCK_CHECKER_DESIGNATE = (
        "airlock.checker.designate",
        "A principal designated an output checker of an organisation.",
    )
    AIRLOCK_SUBMIT = "airlock.submit", "Output files submitted for checking."
    AIRLOCK_REVIEW = "airlock.review", "An output checker's review of a file."
    AIRLOCK_DOWNLOAD = "airlock.download", "Approved outputs released from the airlock."

    # -- the log itself -------------------------------------------------------
    AUDIT_SHOW = "audit.show", "Audit events read."
    AUDIT_VERIFY = "audit.verify", "The hash chain and checkpoints verified over the API."
    AUDIT_CHECKPOINT = "audit.checkpoint", "The head of the log signed with the audit key."
    # -- published checkpoints and the witness (docs/audit.md) --------------------
    AUDIT_PUBLISH = (
        "audit.publish",
        "Stored checkpoints published to the checkpoint log by `accord audit publish` "
        "(how many, and whether the newest is countersigned by the witness).",
    )
    AUDIT_VERIFY_AGAINST = (
        "audit.verify_against",
        "The log verified against a published checkpoint over the API: the verdict, and "
        "the checkpoint's event and root.",
    )

    # -- local accounts of the web service ------------------------------------------
    ACCOUNT_CREATE = (
        "account.create",
        "A local web account (argon2id password and TOTP) created for a principal.",
    )
    ACCOUNT_PASSWORD = "account.password", "A local account's password set or replaced."
    ACCOUNT_TOTP = (
        "account.totp",
        "A local account's TOTP secret enrolled or replaced (the old codes stop working).",
    )

    # -- request drafts in the web service's question pages (ask) --------------
    DRAFT_START = "draft.start", "A request draft started in the web service's question pages."
    DRAFT_SAVE = "draft.save", "A request draft's answers saved, or the request it became linked."
    DRAFT_DPIA = (
        "draft.dpia",
        "A DPIA document (PDF) attached to a request draft, with its SHA-256; a deny is a "
        "file refused (not a PDF, or too large).",
    )
    DRAFT_CLOSE = "draft.close", "A request draft closed because the request was submitted."
    DRAFT_SHOW = (
        "draft.show",
        "A request draft refused to someone other than its writer (answered as missing).",
    )
    # -- the web service's agreement pages ----------------------------------------
    AGREEMENT_LIST = "agreement.list", "The agreements of a person's organisations listed."

    # -- owners, output checkers and DPOs in the web service ----------------------
    OPTOUT_COUNT = (
        "optout.count",
        "An opt-out register's counts read by type (never its entries); recorded when refused.",
    )
    AIRLOCK_LIST = (
        "airlock.list",
        "An organisation's output requests listed for checking; recorded when refused.",
    )
    AIRLOCK_SHOW = (
        "airlock.show",
        "One output request, its files and checks, shown; recorded when refused.",
    )
    DASHBOARD_SHOW = (
        "dashboard.show",
        "An organisation's governance dashboard shown; recorded when refused.",
    )
    # Access reviews (seed 003: who has access is recertified every 30 days).
    ACCESS_REVIEW_SHOW = (
        "access_review.show",
        "An organisation's access review under an agreement shown; recorded when refused.",
    )
    ACCESS_REVIEW_RECERTIFY = (
        "access_review.recertify",
        "An admin confirmed who keeps access under an agreement, each principal kept or "
        "removed; the removed principals' share tokens revoked.",
    )
    ACCESS_REVIEW_RESTORE = (
        "access_review.restore",
        "Access under an agreement, suspended by a lapsed review, restored by a recertification.",
    )
    ACCESS_REVIEW_LAPSE = (
        "access_review.lapse",
        "An access review passed its due date unrecertified: the organisation's access "
        "under the agreement is suspended; the data owners and the organisation told.",
    )
    ACCESS_REVIEW_REMIND = (
        "access_review.remind",
        "A reminder queued that an access review falls due within seven days.",
    )
    ACCESS_REVIEW_CHECK = (
        "access_review.check",
        "The access-review sweep run (it records lapses and reminders); recorded when refused.",
    )

    # -- notifications: subscriptions and delivery from the outbox ---------------------
    NOTICES_SHOW = (
        "notices.show",
        "An organisation's notification subscriptions or recent notices read by its admin; "
        "a deny is another organisation's, answered as not found.",
    )
    NOTICES_SUBSCRIBE = (
        "notices.subscribe",
        "An email address or signed webhook subscribed to an organisation's notices (the "
        "subscription's id and channel, never the address).",
    )
    NOTICES_UNSUBSCRIBE = (
        "notices.unsubscribe",
        "A subscription removed; a deny is another organisation's, answered as not found.",
    )
    NOTICES_DELIVER = (
        "notices.deliver",
        "A delivery run authorised, and each notice it settled: delivered, delivered to "
        "nobody, to be tried again, or failed after its last attempt.",
    )
    NOTICES_SEND = (
        "notices.send",
        "One notice sent to one subscription (by id), or the kind of failure (timeout, "
        "smtp refused, http 500); never the address or the text.",
    )
    NOTICES_REMIND = (
        "notices.remind",
        "The reminders job queued today's notices for overdue destruction certificates.",
    )

    # -- records a holder keeps per participant, and their retention (seed 003) ---
    RECORDS_ADD = (
        "records.add",
        "A record (kind, referral, pseudonymous participant reference, SHA-256) added to a "
        "holder's case records; a deny is a refusal or a file refused.",
    )
    RECORDS_LIST = "records.list", "A holder's records or retention schedule listed."
    RECORDS_EVENT = (
        "records.event",
        "A retention event recorded (decision notified for a participant; programme ended "
        "or final ESF claim paid for a programme), with its date.",
    )
    RECORDS_CONFIGURE = (
        "records.configure",
        "A holder's delete date for one kind of record set (an offset after keep-until, or "
        "a date); a deny is one refused, e.g. before keep-until.",
    )
    RECORDS_RUN = "records.run", "The record retention job started (or refused) by this caller."
    RECORDS_PLAN = (
        "records.plan",
        "Held records found due were recorded in the job's plan, before any was deleted.",
    )
    RECORDS_DELETE = (
        "records.delete",
        "One held record deleted by the retention job (file removed, row kept as a tombstone): "
        "its id, kind and pseudonymous participant reference only.",
    )
    RECORDS_REPORT = (
        "records.report",
        "A run's counts for one holder, with the notice that tells it (no personal data).",
    )
    RECORDS_ERASE = (
        "records.erase",
        "An accepted erasure removed a participant's held records at one holder: their files "
        "deleted and their rows made tombstones that no longer name them (a count only).",
    )

    # -- the inbound channel: forms sent back to the data owners (seed 003) -------------
    INBOUND_SEND = (
        "inbound.send",
        "A form sent back under an agreement (WHP07, employment business, exit report), "
        "checked; a deny names the reason and the fields at fault, never their values.",
    )
    INBOUND_RECEIVE = (
        "inbound.receive",
        "A message accepted into a data owner's inbox: its id, referral id and SHA-256.",
    )
    INBOUND_LIST = "inbound.list", "A data owner's inbox listed; recorded when refused."
    INBOUND_SHOW = "inbound.show", "One inbound message, its record included, read."
    INBOUND_ACTION = "inbound.action", "An inbound message marked actioned."
    INBOUND_DELETE = (
        "inbound.delete",
        "An actioned inbound message deleted from the inbox (seed 003 paragraph 57).",
    )

    # -- outcome validation and wrong-recipient recall (seed 003) -----------------
    OUTCOME_CHECK = (
        "outcome.check",
        "A provider's staff asked the department to confirm participants' outcomes under "
        "an agreement; a deny is a refusal (no channel, no per-record answers, too many).",
    )
    OUTCOME_RELEASE = (
        "outcome.release",
        "First pay dates and thresholds confirmed: counts of participants asked, found, "
        "pay dates and thresholds only, never an identifier.",
    )
    RECALL_OPEN = (
        "recall.open",
        "A sender recalled a package sent to the wrong organisation; the recipient is "
        "alerted by a notice in the same transaction.",
    )
    RECALL_CONFIRM = (
        "recall.confirm",
        "The recipient of a recalled package deleted its copy and certified the deletion.",
    )
    RECALL_LIST = "recall.list", "Recalls of an organisation listed; recorded when refused."
    RECALL_PURGE = (
        "recall.purge",
        "Recall records older than three months removed (their audit events stay).",
    )

    # -- erasure requests (seed 003, paras 22-42) ---------------------------------
    ERASURE_RECEIVE = (
        "erasure.receive",
        "A participant's request to erase their information recorded by the provider, and the "
        "holding response issued; the person only by a keyed pseudonymous reference.",
    )
    ERASURE_REFER = "erasure.refer", "An erasure request referred to the department's DPO."
    ERASURE_REFERENCE = (
        "erasure.reference",
        "The reference number every response carries, assigned by the department's DPO.",
    )
    ERASURE_DECIDE = (
        "erasure.decide",
        "An erasure request accepted or rejected by the seed's rules, with its paragraph.",
    )
    ERASURE_LETTER = (
        "erasure.letter",
        "The accepted (WHP RTE Acc) or rejected (WHP RTE REJ) letter issued.",
    )
    ERASURE_ADVANCE = (
        "erasure.advance",
        "The step after a letter or the last certificate taken (recorded when refused).",
    )
    ERASURE_FAN_OUT = (
        "erasure.fan_out",
        "An accepted erasure sent to every holder of the person's data, each told to erase.",
    )
    ERASURE_ERASE = (
        "erasure.erase",
        "A holder erased the person from its copies and certified it with a signed certificate.",
    )
    ERASURE_CLOSE = (
        "erasure.close",
        "An erasure request closed; the NINO and the letter's addressee are forgotten.",
    )
    ERASURE_WITHDRAW = (
        "erasure.withdraw",
        "An erasure request withdrawn by the participant; the NINO and addressee are forgotten.",
    )
    ERASURE_COPY_REGISTER = (
        "erasure.copy.register",
        "A file of an agreement's data registered as held downstream, so erasure reaches it.",
    )
    ERASURE_SHOW = "erasure.show", "One erasure request shown; recorded when refused."
    ERASURE_LIST = "erasure.list", "An organisation's erasure requests listed."
    ERASURE_REMIND = (
        "erasure.remind",
        "A deadline reminder queued for an erasure request due within a week or overdue.",
    )

    # -- referrals to an accredited provider (seed 003) ----------------------------
    SUBCONTRACTOR_APPROVE = (
        "subcontractor.approve",
        "A data owner approved a sub-contractor for a prime provider, with dates, due "
        "diligence and the no-offshore confirmation; a deny is a refused approval.",
    )
    SUBCONTRACTOR_WITHDRAW = (
        "subcontractor.withdraw",
        "A data owner withdrew a sub-contractor's approval: releases under agreements "
        "naming it as a processor stop at once.",
    )
    SUBCONTRACTOR_LIST = (
        "subcontractor.list",
        "A data owner's approved sub-contractors listed; recorded when refused.",
    )
    # -- faults (hygiene) ----------------------------------------------------------
    STORAGE_TEMP_SWEPT = (
        "storage.temp_swept",
        "Temporary files a killed write left in the home removed at start; the details "
        "give only their count.",
    )
    STORAGE_WRITE_FAILED = (
        "storage.write_failed",
        "A write refused by the file system (disk full, read-only, no permission): nothing "
        "was half-written; the reason names the error, the details the path.",
    )

    # -- limits on requests (accord.api.rate_limits) -------------------------------
    API_REFUSALS_COUNTED = (
        "api.refusals.counted",
        "Unauthenticated (401) or rate-limited (429) answers over one interval, counted "
        "rather than logged one by one: the kind, the count, the interval and the five "
        "callers refused most, as hashes of their token, session or address.",
    )

    # -- machine clients' signing keys (docs/tls.md) --------------------------------
    CLIENT_KEY_REGISTER = (
        "client_key.register",
        "An Ed25519 public key registered for a principal, to sign API requests with "
        "(RFC 9421); only the public half is kept.",
    )
    CLIENT_KEY_LIST = "client_key.list", "A principal's registered client keys listed."
    CLIENT_KEY_REVOKE = (
        "client_key.revoke",
        "A client key revoked: requests it signs are refused from then on.",
    )


CREATING = frozenset(
    {
        AuditAction.ORG_CREATE,
        AuditAction.PRINCIPAL_CREATE,
        AuditAction.TOKEN_ISSUE,
        AuditAction.CLIENT_KEY_REGISTER,
        AuditAction.DATASET_REGISTER,
        AuditAction.REQUEST_CREATE,
        AuditAction.REQUEST_ASSESS,
        AuditAction.SHARE_TOKEN_ISSUE,
        AuditAction.DISCLOSURE_BATCH_CHECK_DEFINE,
        AuditAction.AIRLOCK_SUBMIT,
    }
)
"""Actions whose object is made by the action: refused, it does not exist yet, and the
refusal says why rather than answering as if a missing object had been asked for."""


def markdown_table() -> str:
    """The registry as the Markdown table ``docs/audit.md`` carries."""
    lines = ["| action | meaning |", "|---|---|"]
    lines += [f"| `{action.value}` | {action.description} |" for action in AuditAction]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - prints the docs table
    import sys

    sys.stdout.write(markdown_table())
