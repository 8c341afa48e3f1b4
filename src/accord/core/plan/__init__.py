"""Agreements compiled to SQL plans: a sqlglot AST, rendered per dialect."""
