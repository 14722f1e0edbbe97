"""What every experiment shares: its command line, where results go, and
plot styling."""
import argparse
import os
import sys
import time

# The caller's matplotlib backend is left alone (an experiment imported in
# Jupyter must not switch the notebook to Agg); without a screen matplotlib
# falls back to Agg by itself, and every figure is closed once saved.
import matplotlib.pyplot as plt


def parse_args(description, argv=None, default_seeds=10):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default="results", help="directory for the CSV and PNG files (default: results)")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"runs per parameter point (default: {default_seeds}, 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a small grid that runs in well under a minute")
    parser.add_argument("--executor", default=None,
                        help="'serial', 'dask://HOST:PORT', or nothing for a process pool on every core")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = 2 if args.quick else default_seeds
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


class Output:
    """Files of one experiment under OUT/NAME/, listed when it ends."""

    def __init__(self, out, name):
        self.dir = os.path.join(out, name)
        os.makedirs(self.dir, exist_ok=True)
        self.files = []
        self.start = time.time()
        self.name = name

    def path(self, filename):
        path = os.path.join(self.dir, filename)
        self.files.append(path)
        return path

    def csv(self, frame, filename):
        frame.to_csv(self.path(filename), index=False)

    def figure(self, fig, filename):
        fig.tight_layout()
        fig.savefig(self.path(filename), dpi=120)
        plt.close(fig)

    def store(self):
        """The sweep's SQLite store: a rerun resumes instead of starting over."""
        return os.path.join(self.dir, "runs.sqlite")

    def report(self):
        print(f"{self.name}: done in {time.time() - self.start:.1f} s")
        for f in self.files:
            print(f"  {f}")
        sys.stdout.flush()

