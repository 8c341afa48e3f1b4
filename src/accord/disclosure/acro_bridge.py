"""Run ACRO over tables Accord has written, inside ACRO's own virtual environment.

This file is executed by the ACRO environment's Python (ACRO pins pandas, so it
cannot live in Accord's environment); it imports nothing from Accord. It reads a
job JSON naming a CSV file of rows (``table`` column = which table) and writes
one JSON answer: for each table, the labels and ACRO's outcome string per cell, and
the seconds spent inside ``acro.crosstab`` (excluding start-up and reading).

    python acro_bridge.py JOB.json OUT.json
"""

import json
import logging
import os
import sys
import tempfile
import time


def main(job_path: str, out_path: str) -> None:
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    work = tempfile.mkdtemp(prefix="acro-bridge-")
    os.chdir(work)  # ACRO may write artifacts beside the working directory
    logging.disable(logging.CRITICAL)
    import acro
    import pandas as pd
    from acro.version import __version__

    frame = pd.read_csv(
        job["csv"],
        dtype={"table": str, job["rows"]: str, job["columns"]: str},
        keep_default_na=False,
    )
    session = acro.ACRO(suppress=False)
    answers = {}
    seconds = 0.0
    for table_id, group in frame.groupby("table", sort=True):
        rows = group.reset_index(drop=True)
        value = job.get("value")
        start = time.perf_counter()
        if value:
            session.crosstab(
                rows[job["rows"]], rows[job["columns"]], values=rows[value], aggfunc="sum"
            )
        else:
            session.crosstab(rows[job["rows"]], rows[job["columns"]])
        seconds += time.perf_counter() - start
        record = list(session.results.results.values())[-1]
        outcome = record.outcome
        answers[str(table_id)] = {
            "status": record.status,
            "rows": [str(x) for x in outcome.index],
            "columns": [str(x) for x in outcome.columns],
            "outcome": outcome.astype(str).values.tolist(),
        }
        session.results.results.clear()
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump({"acro_version": __version__, "seconds": seconds, "tables": answers}, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
