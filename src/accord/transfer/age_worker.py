"""pyrage in a child process: ``python -m accord.transfer.age_worker encrypt PATH``.

pyrage holds the GIL for the whole of a file's encryption, so nothing else in the
process can run meanwhile. Run in a child, it encrypts ``PATH`` to its standard output
on one core while the parent hashes and writes that stream on another: hashing costs no
extra pass. The recipient arrives on standard input, never in the arguments or the
environment. (Decryption runs in process: see :mod:`accord.transfer.age_decrypt`.)
"""

from __future__ import annotations

import sys

import pyrage  # type: ignore[import-untyped]
from pyrage import x25519

OUTPUT = "/dev/stdout"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "encrypt":
        sys.stderr.write("usage: age_worker encrypt PATH (recipient on stdin)\n")
        return 64
    _, path = argv
    key = sys.stdin.buffer.read().decode("ascii").strip()
    try:
        pyrage.encrypt_file(path, OUTPUT, [x25519.Recipient.from_str(key)])
    except (pyrage.EncryptError, pyrage.RecipientError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
