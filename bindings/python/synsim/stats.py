"""Small statistics helpers for experiment tables."""
import math

import numpy as np


def mean_ci(values, confidence=0.95):
    """Mean of `values` (NaNs ignored) and the half-width of its confidence
    interval from Student's t distribution; NaN half-width for one value."""
    from scipy import stats
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    if n == 1:
        return float(values[0]), math.nan
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return float(values.mean()), float(half)


def ci_table(frame, by, column, confidence=0.95):
    """Per group of `by`: mean of `column`, its CI half-width and count."""
    rows = []
    for key, group in frame.groupby(by, sort=True):
        mean, half = mean_ci(group[column], confidence)
        key = key if isinstance(key, tuple) else (key,)
        rows.append(dict(zip(by if isinstance(by, list) else [by], key), mean=mean, ci=half, n=len(group)))
    import pandas as pd
    return pd.DataFrame(rows)


def paired_ci_table(frame, by, factor, baseline, column, confidence=0.95):
    """A paired comparison (common random numbers) against a baseline.

    Each run whose `factor` is not `baseline` is compared with the run of
    the same seed and the same `by` parameters whose `factor` is
    `baseline`: since every component's random stream is named by what the
    component is, the two saw the same random draws wherever they share a
    component (the same client arrivals with and without a flood), and the
    difference is the effect of `factor` alone.  Returns, per `by` and
    `factor`, the mean of `column` minus its baseline value, the CI
    half-width of that mean over seeds, and the number of pairs."""
    import pandas as pd
    by = [by] if isinstance(by, str) else list(by)
    for name in by + [factor, column, "seed"]:
        if name not in frame.columns:
            raise ValueError(f"{name!r} is not a column of the table; it has {list(frame.columns)}")
    keys = by + ["seed"]
    base = frame[frame[factor] == baseline][keys + [column]]
    if base.duplicated(keys).any():
        raise ValueError(f"more than one baseline run ({factor} = {baseline!r}) for one seed and {by}")
    other = frame[frame[factor] != baseline][keys + [factor, column]]
    pairs = other.merge(base, on=keys, how="left", suffixes=("", "_baseline"), indicator=True)
    missing = pairs[pairs["_merge"] != "both"]
    if len(missing):
        first = missing.iloc[0][keys].to_dict()
        raise ValueError(f"no baseline run ({factor} = {baseline!r}) to pair with {first}")
    pairs["difference"] = pairs[column].astype(float) - pairs[column + "_baseline"].astype(float)
    table = ci_table(pairs, by + [factor], "difference", confidence)
    return table if len(table) else pd.DataFrame(columns=by + [factor, "mean", "ci", "n"])
