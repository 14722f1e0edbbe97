"""Packaging and import hygiene: importing an experiment leaves the caller's
matplotlib backend alone; the project carries a licence and a citation."""
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_importing_experiments_keeps_the_matplotlib_backend():
    code = ("import matplotlib; matplotlib.use('svg'); "
            "import synsim.experiments.syn_flood, synsim.experiments.common; "
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"


def test_licence_and_citation():
    with open(os.path.join(ROOT, "LICENSE")) as f:
        assert "MIT License" in f.read()
    with open(os.path.join(ROOT, "CITATION.cff")) as f:
        text = f.read()
    assert "cff-version" in text and "title:" in text
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        assert 'license = "MIT"' in f.read()


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "synsim", *args], capture_output=True, text=True)


def test_cli_help_everywhere():
    p = run_cli("run", "--help")
    assert p.returncode == 0 and "run NAME|all" in p.stdout and "syn_flood" in p.stdout
    p = run_cli("run", "syn_flood", "--help")
    assert p.returncode == 0 and "--quick" in p.stdout
    p = run_cli()
    assert p.returncode == 0
    # whole one-line summaries: the first paragraph, not its first line
    from synsim.__main__ import _summary
    line = [l for l in p.stdout.splitlines() if l.strip().startswith("synack_timeout")][0]
    assert line.strip().endswith(_summary("synack_timeout")) and "\n" not in _summary("synack_timeout")
    assert run_cli("run", "no_such").returncode == 2
