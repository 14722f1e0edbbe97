"""Where a sweep's run came from: the code that ran it and the software and
machine it ran on.

Two parts decide whether a stored run may stand for a new one (its
*identity*, hashed into ``identity_hash``): synsim's version and build (a
hash of the compiled core), and a hash of the run function's code together
with what it uses from its own module, followed name by name: the source of
the functions and classes it calls, and the values of the module-level
constants it reads (numbers, strings, tuples).  Changing any of them
changes the hash; editing an unrelated function of the module does not.

The rest is recorded for the reader and never decides anything: the git
commit of the function's file (and whether the tree had changes), the
machine, Python and numpy versions, and each run's start and wall time.
"""
import functools
import hashlib
import inspect
import json
import marshal
import os
import platform
import subprocess
import sys

import numpy as np

CONSTANT_TYPES = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset)


def _sha(text):
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def synsim_build():
    """synsim's version and a hash of the compiled core it runs on."""
    from . import __version__, core
    path = getattr(core._core, "__file__", None)
    digest = None
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:32]
    return {"version": __version__, "build": digest}


def _names(code):
    """Every global name that `code` and the functions nested in it use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _names(const)
    return names


def _text_of(obj):
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):  # made by exec, or a builtin: its compiled code
        code = getattr(obj, "__code__", None)
        return marshal.dumps(code).hex() if code is not None else repr(obj)


def code_hash(fn):
    """A hash of `fn`'s code and of what it uses from its module."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    module_globals = getattr(fn, "__globals__", {})
    parts, seen = [], set()

    def visit(obj):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        parts.append(_text_of(obj))
        if inspect.isclass(obj):
            codes = [m.__code__ for m in vars(obj).values() if hasattr(m, "__code__")]
        else:
            codes = [obj.__code__] if hasattr(obj, "__code__") else []
        for name in sorted(set().union(*map(_names, codes))):
            if name not in module_globals:
                continue
            value = module_globals[name]
            same_module = getattr(value, "__module__", None) == getattr(fn, "__module__", None)
            if (inspect.isfunction(value) or inspect.isclass(value)) and same_module:
                visit(value)
            elif isinstance(value, CONSTANT_TYPES):
                parts.append(f"{name} = {value!r}")

    visit(fn)
    return _sha("\n".join(parts))


def _git(directory, *args):
    try:
        out = subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_state(fn):
    """The commit of the repository holding `fn`'s file, and whether its
    tree had uncommitted changes; None outside a repository."""
    try:
        path = inspect.getsourcefile(inspect.unwrap(fn))
    except TypeError:
        path = None
    if not path or not os.path.exists(path):
        return None
    directory = os.path.dirname(os.path.abspath(path))
    commit = _git(directory, "rev-parse", "HEAD")
    if commit is None:
        return None
    return {"commit": commit, "dirty": bool(_git(directory, "status", "--porcelain", "--untracked-files=no"))}


def identity(fn):
    """What decides whether a stored run stands for a new one, and its hash."""
    ident = dict(synsim_build(), code=code_hash(fn))
    return ident, _sha(json.dumps(ident, sort_keys=True))


@functools.lru_cache(maxsize=1)
def machine():
    """Where a run ran (called in the worker that ran it; the same for
    every run of one process, so looked up once)."""
    return {"host": platform.node(), "platform": platform.platform(), "python": sys.version.split()[0],
            "numpy": np.__version__}
