"""python -m synsim: list the experiments, or run one.

    python -m synsim                      # list them
    python -m synsim run syn_flood --quick --out results
    python -m synsim run all --quick
"""
import importlib
import sys


def _experiments():
    from synsim.experiments import NAMES
    return NAMES


def _summary(name):
    """The docstring's first paragraph, whole, on one line."""
    module = importlib.import_module(f"synsim.experiments.{name}")
    first = (module.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(first.split())


USAGE = """usage: python -m synsim [list]
       python -m synsim run NAME|all [--quick] [--seeds N] [--out DIR] [--executor E]
       python -m synsim run NAME --help     (that experiment's options)"""


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    names = _experiments()
    if not argv or argv[0] in ("list", "-h", "--help"):
        print("synsim experiments (python -m synsim run NAME [--quick] [--seeds N] [--out DIR] [--executor E]):")
        for name in names:
            print(f"  {name:20} {_summary(name)}")
        return 0
    if argv[0] == "run" and (len(argv) < 2 or argv[1] in ("-h", "--help")):
        print(USAGE)
        print("experiments: " + ", ".join(names))
        return 0 if len(argv) >= 2 else 2
    if argv[0] != "run":
        print(USAGE, file=sys.stderr)
        return 2
    chosen = names if argv[1] == "all" else [argv[1]]
    for name in chosen:
        if name not in names:
            print(f"no experiment {name!r}; known: {', '.join(names)}", file=sys.stderr)
            return 2
        importlib.import_module(f"synsim.experiments.{name}").main(argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
