"""synsim's research experiments, one module per question.  Each is a
script (python experiments/NAME.py) and a module (python -m synsim run
NAME); each takes --out DIR, --seeds N, --quick and --executor, writes a CSV
of its runs and PNG plots, and prints where they are."""

NAMES = ["handshake_latency", "synack_timeout", "syn_flood", "keepalive"]
