"""Governance: requests, their automated assessment, the approval workflow and agreements.

Everything here is pure: a request and a snapshot of the catalogue go in, findings,
tiers, transitions and agreement policies come out.
"""
