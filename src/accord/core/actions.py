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
        "An API call refused before it began: no, unknown, revoked or expired token.",
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


CREATING = frozenset(
    {
        AuditAction.ORG_CREATE,
        AuditAction.PRINCIPAL_CREATE,
        AuditAction.TOKEN_ISSUE,
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
