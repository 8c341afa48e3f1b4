"""Packages between organisations: keys, signed manifests, receipts and the test-exchange
rule, as pure values and decisions (the cryptography and files live in
:mod:`accord.transfer`)."""
