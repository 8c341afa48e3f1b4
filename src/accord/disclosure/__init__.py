"""Disclosure control: safe aggregates, batch validation and governed release of outputs.

Small modules, one concept each (see docs/disclosure.md):

- :mod:`rules` - the rules' parameters, their defaults and the sources of the defaults;
- :mod:`primary` - vectorised primary suppression (threshold, NK, p-ratio, zeros) and rounding;
- :mod:`aggregate` - tables by geography x categories, computed in DuckDB;
- :mod:`secondary` - secondary suppression and the LP interval audit that proves it;
- :mod:`cellkey` - cell-key perturbation, the alternative to suppression;
- :mod:`batch` - batch validation with overlap control and a differential-privacy budget;
- :mod:`anonymity` - k-anonymity and l-diversity by generalisation and local suppression;
- :mod:`query_controls` - output controls on in-place query results (threshold, rounding);
- :mod:`airlock` - output checking: automatic rules, two independent reviews, results.json;
- :mod:`acro_env` and :mod:`crosscheck` - the cross-check against ACRO.

Importing this package loads nothing heavy; DuckDB, SciPy and OpenDP load on first use.
"""
