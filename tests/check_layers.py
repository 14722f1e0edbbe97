#!/usr/bin/env python3
"""Check the architecture that the folders draw (docs/architecture.md).

C core, layers from the bottom: sim <- net <- tcp <- app.

* A file belongs to the layer of its folder (core/src/<layer>/); a public
  header core/include/synsim/<name>.h to the layer listed in PUBLIC.
* A file may include headers of its own layer and of the layers below it,
  never above ("upward include").
* Apps include no internal header of net or tcp: they use TCP as a user's
  program would.
* The files of a layer share one internal header, core/src/<layer>/
  <layer>_internal.h; no source file includes another source file.
* Quoted includes must resolve to a file of the project, so that a new
  folder or a typo cannot slip past the rules.
* The include graph of the core and of the C tests has no cycle.
* The Python package bindings/python/synsim has no import cycle, counting
  the imports made inside functions too (a lazy import is still a
  dependency).

Tests may drive a layer from above (a pcap test needs TCP traffic), so for
tests/c only the cycle rule and the resolution rule apply.

Usage: check_layers.py [ROOT]; prints one line per violation, naming the
file and line, and exits 1 if there is any.
"""
import ast
import os
import re
import sys

LAYERS = ["sim", "net", "tcp", "app"]
PUBLIC = {
    "error.h": "sim",
    "rng.h": "sim",
    "sim.h": "sim",
    "trace.h": "sim",
    "net.h": "net",
    "pcap.h": "net",
    "tcp.h": "tcp",
    "app.h": "app",
}
# Apps use TCP as a user's program would: through the public headers only.
INTERNALS_ALLOWED = {"app": {"sim", "app"}}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def rel(root, path):
    return os.path.relpath(path, root)


def layer_of(root, path):
    """The layer a core file belongs to, or None for a file outside the core."""
    r = rel(root, path).split(os.sep)
    if r[:2] == ["core", "src"] and len(r) == 4 and r[2] in LAYERS:
        return r[2]
    if r[:3] == ["core", "include", "synsim"] and len(r) == 4:
        return PUBLIC.get(r[3], "?")
    return None


def c_files(root):
    out = []
    for top in ("core/src", "core/include", "tests/c"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            out += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith((".c", ".h"))]
    return sorted(out)


def resolve(root, path, name):
    for base in (os.path.dirname(path), os.path.join(root, "core/src"), os.path.join(root, "core/include"),
                 os.path.join(root, "tests/c")):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(cand):
            return cand
    return None


def find_cycle(graph):
    """One cycle of `graph` (node -> list of (successor, where)) as a list of
    (node, where) steps, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {n: WHITE for n in graph}
    stack = []

    def visit(n):
        colour[n] = GREY
        for succ, where in graph.get(n, []):
            stack.append((n, where))
            if colour.get(succ, WHITE) == GREY:
                start = next(i for i, (m, _) in enumerate(stack) if m == succ)
                return stack[start:]
            if colour.get(succ, WHITE) == WHITE:
                found = visit(succ)
                if found:
                    return found
            stack.pop()
        colour[n] = BLACK
        return None

    for n in sorted(graph):
        if colour[n] == WHITE:
            found = visit(n)
            if found:
                return found
    return None


def check_c(root):
    errors = []
    graph = {}
    for path in c_files(root):
        me = layer_of(root, path)
        r = rel(root, path)
        if r.startswith("core/") and me is None:
            errors.append(f"{r}: not in a layer folder (core/src/{{{','.join(LAYERS)}}}/)")
        if me == "?":
            errors.append(f"{r}: public header missing from PUBLIC in tests/check_layers.py")
        graph.setdefault(path, [])
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                name = m.group(1)
                where = f"{r}:{lineno}"
                target = resolve(root, path, name)
                if target is None:
                    errors.append(f'{where}: #include "{name}" is not a file of the project')
                    continue
                graph[path].append((target, where))
                if target.endswith(".c"):
                    errors.append(f'{where}: #include "{name}" includes a source file')
                if me is None:
                    continue  # tests: cycles and resolution only
                theirs = layer_of(root, target)
                if theirs is None:
                    errors.append(f'{where}: #include "{name}" reaches outside the core')
                elif theirs in LAYERS and me in LAYERS and LAYERS.index(theirs) > LAYERS.index(me):
                    errors.append(f'{where}: upward include: {me} file includes "{name}" of layer {theirs}')
                elif (rel(root, target).startswith("core/src/") and me in INTERNALS_ALLOWED
                      and theirs not in INTERNALS_ALLOWED[me]):
                    errors.append(f'{where}: #include "{name}": {me} uses layer {theirs} through its public header only')
                elif (theirs == me and rel(root, target).startswith("core/src/")
                      and os.path.basename(target) != f"{me}_internal.h"):
                    errors.append(f'{where}: #include "{name}": files of a layer share only {me}/{me}_internal.h')
    for layer in LAYERS:
        folder = os.path.join(root, "core/src", layer)
        if not os.path.isdir(folder):
            errors.append(f"core/src/{layer}/: layer folder missing")
            continue
        headers = sorted(n for n in os.listdir(folder) if n.endswith(".h"))
        if headers != [f"{layer}_internal.h"]:
            errors.append(f"core/src/{layer}/: one internal header {layer}_internal.h expected, found {headers}")
    cycle = find_cycle(graph)
    if cycle:
        steps = " -> ".join(f"{rel(root, n)} ({w})" for n, w in cycle)
        errors.append(f"include cycle: {steps}")
    return errors


def python_imports(path, package):
    """(module, line) of every module of `package` that the file imports,
    at the top or inside a function."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = node.module.split(".")[0] if node.module else None
                names = [base] if base else [a.name for a in node.names]
            elif node.level == 0 and node.module and node.module.split(".")[0] == package:
                parts = node.module.split(".")
                names = [parts[1]] if len(parts) > 1 else [a.name for a in node.names]
            else:
                continue
            out += [(n, node.lineno) for n in names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == package and len(parts) > 1:
                    out.append((parts[1], node.lineno))
    return out


def check_python(root, package_dir="bindings/python/synsim", package="synsim"):
    folder = os.path.join(root, package_dir)
    if not os.path.isdir(folder):
        return []
    modules = {n[:-3]: os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".py")}
    graph = {}
    for mod, path in sorted(modules.items()):
        if mod in ("__init__", "__main__"):
            continue  # the package's front door imports everything by design
        graph[mod] = [(m, f"{rel(root, path)}:{line}") for m, line in python_imports(path, package)
                      if m in modules and m not in ("__init__", mod)]
    cycle = find_cycle(graph)
    if cycle:
        return ["import cycle: " + " -> ".join(f"{m} ({w})" for m, w in cycle)]
    return []


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else ".")
    errors = check_c(root) + check_python(root)
    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} violation(s)")
        return 1
    print(f"check_layers: layers {' <- '.join(LAYERS)} hold; no include or import cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
