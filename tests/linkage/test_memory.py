"""Bounded memory: a linkage against a 112,000-row register stays within a fixed footprint.

The run happens in a child process so that its peak resident memory is its own. EM is
capped well below the pairs blocking proposes, and DuckDB's buffers are capped, so
the peak is set by those caps and not by the size of the inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from accord.synth import generate

_CHILD = """
import json, sys
from accord.linkage import LinkageOptions, link
left, right = sys.argv[1], sys.argv[2]

def peak_mb():
    # VmHWM is this program's own high-water mark; getrusage's ru_maxrss would also
    # count the parent's pages the child had before exec (a big pytest worker's).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")

options = LinkageOptions(em_max_pairs=20_000, u_max_pairs=50_000, memory_limit="300MB")
result = link(left, right, left_id="nino", right_id="nhs_number", options=options)
print(json.dumps({
    "matched": result.summary.matched,
    "left": result.summary.left_records,
    "peak_rss_mb": peak_mb(),
}))
"""


@pytest.fixture(scope="module")
def modest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("memory") / "carers"
    generate("carers", scale=0.002, seed=11, out=out)
    return out


def test_linkage_memory_is_bounded_by_the_caps(modest: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(modest / "universal_credit.parquet"),
            str(modest / "patient_register.parquet"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["matched"] >= 0.95 * report["left"]
    assert report["peak_rss_mb"] < 900, report
