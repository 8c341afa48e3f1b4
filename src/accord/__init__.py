"""Accord: lawful, governed sharing of personal data between public-sector organisations."""

__version__ = "0.1.0"
