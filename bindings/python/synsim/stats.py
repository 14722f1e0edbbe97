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
