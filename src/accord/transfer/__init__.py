"""Packages on disk: organisation keys, age-encrypted payloads, signed manifests and
receipts, staging that leaves nothing behind, and synthetic rows for test exchanges."""
