"""Random Python scripts (random_scripts.py) under an ASan + UBSan build of
the extension, libasan preloaded: any memory error or undefined behaviour
in the core, reached from whatever a script does, aborts the child and
fails the test; the script itself fails on an undocumented exception or an
allocation of the core that was never returned.  `make fuzz-python` runs
the same with thousands of scripts (PY_SCRIPTS)."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = 200


def test_random_scripts_under_asan_and_ubsan():
    out = subprocess.run(["make", "-s", "--no-print-directory", "fuzz-python", f"PY_SCRIPTS={SCRIPTS}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-6000:]
    assert "runtime error" not in out.stderr and "AddressSanitizer" not in out.stderr, out.stderr[-6000:]
    m = re.search(r"random scripts: (\d+) scripts from seed 0, (\d+) steps, (\d+) runs interrupted, "
                  r"every allocation returned", out.stdout)
    assert m, out.stdout[-3000:]
    assert int(m.group(1)) == SCRIPTS and int(m.group(2)) > 20 * SCRIPTS
    assert int(m.group(3)) > 0  # signals did interrupt runs
    assert "extension: " + os.path.join("build", "asan-py") in out.stdout  # the sanitized build ran
