"""Tests of scripts/fuzz.sh's guards (issue 15, item 12): the script, copied into a temporary directory with
two fuzz targets, runs against a fake `cargo` (and `rustup`, `cargo-fuzz`) that lists targets and reports
executions as each test asks. It must fail when `cargo fuzz list` fails, lists nothing or other targets,
and when a target crashes, reports no executions or fewer than FUZZ_RUNS; it passes only when every
target ran its full count.

Run: python3 -m unittest discover -s tests/tools (scripts/test-rust.sh does).
"""

import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fuzz.sh"

# `cargo fuzz list` prints $FAKE_LIST (exit $FAKE_LIST_STATUS); `cargo fuzz run ... TARGET ...` prints the
# libFuzzer stats line with $FAKE_EXECS_<TARGET> executions (none when unset) and exits $FAKE_RUN_STATUS_<TARGET>.
FAKE_CARGO = r"""#!/usr/bin/env bash
[ "$1" = fuzz ] || { echo "fake cargo: unexpected $*" >&2; exit 2; }
case "$2" in
  list) printf '%b' "${FAKE_LIST:-}"; exit "${FAKE_LIST_STATUS:-0}" ;;
  run)
    for a in "$@"; do case "$a" in a|b) target=$a ;; esac; done
    execs_var="FAKE_EXECS_$target"; status_var="FAKE_RUN_STATUS_$target"
    echo "INFO: Running with entropic power schedule"
    [ -n "${!execs_var:-}" ] && echo "stat::number_of_executed_units: ${!execs_var}"
    exit "${!status_var:-0}" ;;
esac
echo "fake cargo: unexpected $*" >&2; exit 2
"""


class FuzzGuardTest(unittest.TestCase):
    def run_fuzz(self, **env: str) -> tuple[int, str]:
        """Runs a copy of scripts/fuzz.sh (targets `a` and `b`, FUZZ_RUNS 20000): (exit status, output)."""
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "scripts").mkdir()
            shutil.copy(SCRIPT, root / "scripts" / "fuzz.sh")
            (root / "scripts" / "fuzz_seeds.py").write_text("")
            (root / "fuzz" / "fuzz_targets").mkdir(parents=True)
            for t in ("a", "b"):
                (root / "fuzz" / "fuzz_targets" / f"{t}.rs").write_text("")
            bin_dir = root / "bin"
            bin_dir.mkdir()
            for name, text in [
                ("cargo", FAKE_CARGO),
                ("cargo-fuzz", "#!/bin/sh\nexit 0\n"),
                ("rustup", "#!/bin/sh\necho stable-x86_64-unknown-linux-gnu\n"),
            ]:
                (bin_dir / name).write_text(text)
                (bin_dir / name).chmod(0o755)
            full_env = {
                "PATH": f"{bin_dir}:{os.environ['PATH']}",
                "HOME": os.environ.get("HOME", tmp),
                "FUZZ_RUNS": "20000",
                **env,
            }
            p = subprocess.run(
                ["bash", str(root / "scripts" / "fuzz.sh")],
                env=full_env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            return p.returncode, p.stdout + p.stderr

    def assertFails(self, reason: str, **env: str) -> None:
        status, out = self.run_fuzz(**env)
        self.assertNotEqual(status, 0, f"{reason}: fuzz.sh passed\n{out}")

    def test_passes_when_every_target_ran_its_count(self):
        status, out = self.run_fuzz(FAKE_LIST="a\\nb\\n", FAKE_EXECS_a="20000", FAKE_EXECS_b="20001")
        self.assertEqual(status, 0, out)
        self.assertIn("fuzz a: ok, 20000 executions", out)
        self.assertIn("fuzz b: ok, 20001 executions", out)

    def test_fails_when_cargo_fuzz_list_fails(self):
        self.assertFails("cargo fuzz list failed", FAKE_LIST="", FAKE_LIST_STATUS="1")

    def test_fails_when_no_target_is_listed(self):
        self.assertFails("no target listed", FAKE_LIST="")

    def test_fails_when_a_target_is_missing_from_the_list(self):
        self.assertFails("b not listed", FAKE_LIST="a\\n", FAKE_EXECS_a="20000")

    def test_fails_when_a_target_crashes(self):
        self.assertFails("b crashed", FAKE_LIST="a\\nb\\n", FAKE_EXECS_a="20000", FAKE_RUN_STATUS_b="1")

    def test_fails_when_a_target_reports_no_executions(self):
        self.assertFails("b printed no stats line", FAKE_LIST="a\\nb\\n", FAKE_EXECS_a="20000")

    def test_fails_when_a_target_ran_fewer_than_fuzz_runs(self):
        self.assertFails("b ran 100", FAKE_LIST="a\\nb\\n", FAKE_EXECS_a="20000", FAKE_EXECS_b="100")


if __name__ == "__main__":
    unittest.main()
