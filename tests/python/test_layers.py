"""tests/check_layers.py: the real tree passes, and each rule fails on a copy
of the tree broken in one place, naming the file and line."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(ROOT, "tests", "check_layers.py")


def run_check(root):
    p = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)
    return p.returncode, p.stdout


@pytest.fixture
def tree(tmp_path):
    """A copy of the parts of the project the checker reads."""
    for part in ("core", "tests/c", "bindings/python/synsim"):
        shutil.copytree(os.path.join(ROOT, part), tmp_path / part, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    return tmp_path


def add_line(path, after_prefix, line):
    """Insert `line` after the first line starting with `after_prefix`;
    returns the new line's number."""
    lines = path.read_text().split("\n")
    i = next(k for k, l in enumerate(lines) if l.startswith(after_prefix))
    lines.insert(i + 1, line)
    path.write_text("\n".join(lines))
    return i + 2


def test_real_tree_passes():
    rc, out = run_check(ROOT)
    assert rc == 0, out
    assert "hold" in out


def test_every_layer_folder_has_sources():
    for layer in ("sim", "net", "tcp", "app"):
        names = os.listdir(os.path.join(ROOT, "core", "src", layer))
        assert any(n.endswith(".c") for n in names), layer
        assert f"{layer}_internal.h" in names
        assert "README.md" in names, f"core/src/{layer}/ explains itself"


def test_upward_include_named_with_file_and_line(tree):
    line = add_line(tree / "core/src/net/link.c", "#include", '#include "tcp/tcp_internal.h"')
    rc, out = run_check(str(tree))
    assert rc == 1
    assert f"core/src/net/link.c:{line}: upward include" in out
    assert "layer tcp" in out


def test_upward_public_include(tree):
    line = add_line(tree / "core/include/synsim/sim.h", "#include <stdint.h>", '#include "synsim/net.h"')
    rc, out = run_check(str(tree))
    assert rc == 1
    assert f"core/include/synsim/sim.h:{line}: upward include" in out


def test_app_uses_tcp_through_public_header_only(tree):
    line = add_line(tree / "core/src/app/app_server.c", '#include "app/app_internal.h"', '#include "tcp/tcp_internal.h"')
    rc, out = run_check(str(tree))
    assert rc == 1
    assert f"core/src/app/app_server.c:{line}:" in out and "public header only" in out


def test_include_cycle_named(tree):
    # the net header includes the net public header, which now includes it back
    add_line(tree / "core/include/synsim/net.h", '#include "synsim/sim.h"', '#include "net/net_internal.h"')
    rc, out = run_check(str(tree))
    assert rc == 1
    assert "include cycle:" in out
    cycle = next(l for l in out.splitlines() if l.startswith("include cycle:"))
    assert "core/include/synsim/net.h" in cycle and "core/src/net/net_internal.h" in cycle


def test_files_of_a_layer_share_one_header(tree):
    (tree / "core/src/tcp/extra.h").write_text("#define X 1\n")
    line = add_line(tree / "core/src/tcp/tcp_conn.c", '#include "tcp/tcp_internal.h"', '#include "tcp/extra.h"')
    rc, out = run_check(str(tree))
    assert rc == 1
    assert f"core/src/tcp/tcp_conn.c:{line}:" in out
    assert "one internal header tcp_internal.h expected" in out


def test_unresolved_and_flat_files_fail(tree):
    (tree / "core/src/stray.c").write_text('#include "nowhere.h"\n')
    rc, out = run_check(str(tree))
    assert rc == 1
    assert "core/src/stray.c: not in a layer folder" in out
    assert 'core/src/stray.c:1: #include "nowhere.h" is not a file of the project' in out


def test_python_import_cycle_named(tree):
    # a lazy import inside a function is a dependency too
    path = tree / "bindings/python/synsim/flags.py"
    path.write_text(path.read_text() + "\n\ndef _late():\n    from .trace import events_frame\n    return events_frame\n")
    rc, out = run_check(str(tree))
    assert rc == 1
    cycle = next(l for l in out.splitlines() if l.startswith("import cycle:"))
    assert "flags" in cycle and "trace" in cycle and "flags.py:" in cycle
