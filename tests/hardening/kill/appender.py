"""Append audit events through the audit service, one transaction each, and print each
committed sequence number as soon as its transaction has returned: what is printed is
acknowledged, and must survive a SIGKILL. Run by ``test_kill_audit`` as
``python -m tests.hardening.kill.appender`` with ``ACCORD_HOME`` set.
"""

from __future__ import annotations

import sys

from accord.core.audit import AuditEvent, Decision
from accord.services.app import Accord
from accord.settings import load_settings


def main() -> None:
    accord = Accord.open(load_settings())
    n = 0
    while True:
        n += 1
        record = accord.audit.record(
            AuditEvent(
                actor="operator:kill-harness",
                action="api.access",
                object=f"append:{n}",
                decision=Decision.ALLOW if n % 2 else Decision.DENY,
                reason="appended by the kill harness",
            )
        )
        sys.stdout.write(f"{record.seq} append:{n}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
