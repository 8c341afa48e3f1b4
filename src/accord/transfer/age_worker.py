"""pyrage in a child process: ``python -m accord.transfer.age_worker encrypt|decrypt PATH``.

pyrage holds the GIL for the whole of a file's encryption, so nothing else in the
process can run meanwhile. Run in a child, it encrypts or decrypts ``PATH`` to its
standard output on one core while the parent hashes and writes that stream on another:
hashing costs no extra pass. The key (an age recipient or identity) arrives on standard
input, never in the arguments or the environment.
"""

from __future__ import annotations

import sys

import pyrage  # type: ignore[import-untyped]
from pyrage import x25519

OUTPUT = "/dev/stdout"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("encrypt", "decrypt"):
        sys.stderr.write("usage: age_worker encrypt|decrypt PATH (key on stdin)\n")
        return 64
    mode, path = argv
    key = sys.stdin.buffer.read().decode("ascii").strip()
    try:
        if mode == "encrypt":
            pyrage.encrypt_file(path, OUTPUT, [x25519.Recipient.from_str(key)])
        else:
            pyrage.decrypt_file(path, OUTPUT, [x25519.Identity.from_str(key)])
    except (pyrage.EncryptError, pyrage.DecryptError, pyrage.RecipientError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    except pyrage.IdentityError as exc:
        sys.stderr.write(f"the key is not an age identity: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
