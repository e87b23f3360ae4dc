"""Real recorded time series read from files that Python packages ship.

Nothing is downloaded: the files come with ``bokeh_sampledata`` (daily stock
prices) and ``brightwind`` (hourly MERRA-2 reanalysis wind). The packages are
not imported, only located, and their files read with pandas.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..validation import check_choice, check_int
from .base import Dataset, package_path, resolve_splits

__all__ = ["google_stock", "wind_speed", "GOOGLE_PAPER_RANGE"]

logger = logging.getLogger(__name__)

#: 000 A.4.3 (after Samanta et al. 2020): Yahoo Finance, 19 Aug 2004 - 21 Sep 2010
GOOGLE_PAPER_RANGE = ("2004-08-19", "2010-09-21")
#: 000 A.4.3: "The training set consisted of 1529 samples, and the test set of 900 samples."
GOOGLE_PAPER_COUNTS = (1529, 900)

_STOCK_COLUMNS = {"Open", "High", "Low", "Close", "Adj Close", "Volume"}
_MERRA_LOCATIONS = ("NE", "NW", "SE", "SW")
_MERRA_FILE = "MERRA-2_{}_2000-01-01_2017-06-30.csv"


def _stock_frame():
    path = package_path("bokeh_sampledata", "_data", "stocks.csv.gz",
                        install_hint="pip install bokeh_sampledata", caller="google_stock")
    frame = pd.read_csv(path)
    frame = frame[frame["Ticker"] == "GOOG"].copy()
    frame["Date"] = pd.to_datetime(frame["Date"])
    return frame.sort_values("Date").reset_index(drop=True), path


def google_stock(column="Close", split="range", splits=None):
    """Daily Google (GOOG) share prices, 2004-08-19 .. 2010-09-21 (000 A.4.3).

    Real data: the Quandl WIKI prices (public domain) shipped by the
    ``bokeh_sampledata`` package, file ``_data/stocks.csv.gz``; 1534 trading
    days lie in the paper's date range.

    The paper states 1529 training and 900 test samples for this range, which
    cannot both hold: the range has only 1534 trading days (1529 = 1534 - 5
    suggests the paper counts input/target pairs built from 5 past values).
    Two honest readings are offered:

    * ``split="range"`` (default): only the paper's date range, split in time
      order in the paper's train:test proportion 1529:900, i.e. 966 / 0 / 568.
    * ``split="after"``: the whole range (1534 days) is the training part and
      the test part is the following trading days, up to 900; the file ends on
      2013-03-01, so only 614 are there (a warning is logged).

    Parameters
    ----------
    column : {"Close", "Open", "High", "Low", "Adj Close", "Volume"}
        Price column. Default "Close": the unadjusted daily close in USD (GOOG
        had no split in this period; "Adj Close" is the source's later
        split-adjusted value, half of it).
    split : {"range", "after"}
    splits : (int, int, int), optional
        With ``split="range"``: explicit train / validation / test sizes adding
        up to 1534.

    Returns
    -------
    Dataset
        Time series of shape (T, 1); ``metadata["dates"]`` holds the dates of each part.
    """
    check_choice("column", column, _STOCK_COLUMNS)
    check_choice("split", split, {"range", "after"})
    frame, path = _stock_frame()
    lo, hi = (pd.Timestamp(d) for d in GOOGLE_PAPER_RANGE)
    inside = frame[(frame["Date"] >= lo) & (frame["Date"] <= hi)]
    values = inside[column].to_numpy(dtype=float)[:, None]
    dates = inside["Date"].to_numpy()
    n = len(values)
    if split == "range":
        if splits is None:
            n_train = int(round(n * GOOGLE_PAPER_COUNTS[0] / sum(GOOGLE_PAPER_COUNTS)))
            splits = (n_train, 0, n - n_train)
        else:
            splits = resolve_splits(n, splits, (1, 0, 1))
        tr, va, _ = splits
        parts = (values[:tr], values[tr:tr + va], values[tr + va:])
        part_dates = (dates[:tr], dates[tr:tr + va], dates[tr + va:])
    else:
        if splits is not None:
            raise ValueError("splits: only used with split='range'")
        after = frame[frame["Date"] > hi].iloc[:GOOGLE_PAPER_COUNTS[1]]
        if len(after) < GOOGLE_PAPER_COUNTS[1]:
            logger.warning("google_stock(split='after'): the data file ends on %s, so the test "
                           "part has %d days instead of the paper's %d",
                           frame["Date"].iloc[-1].date(), len(after), GOOGLE_PAPER_COUNTS[1])
        parts = (values, values[:0], after[column].to_numpy(dtype=float)[:, None])
        part_dates = (dates, dates[:0], after["Date"].to_numpy())
    unit = "shares" if column == "Volume" else "USD"
    meta = dict(
        source=f"real: GOOG daily prices (Quandl WIKI, public domain) from bokeh_sampledata "
               f"file {path}",
        generated=False, step=1.0, step_unit="trading day", columns=[f"GOOG {column}"],
        units=[unit], split_rule=split, date_range=GOOGLE_PAPER_RANGE,
        dates=dict(zip(("train", "validation", "test"), part_dates)),
        paper_counts=dict(train=GOOGLE_PAPER_COUNTS[0], test=GOOGLE_PAPER_COUNTS[1]),
    )
    return Dataset("google_stock", "timeseries", *parts, metadata=meta)


def wind_speed(location="NE", start="2011-02-01", splits=(500, 0, 1000), with_direction=False):
    """Hourly 50 m wind speed from NASA MERRA-2 reanalysis (a SUBSTITUTE for 000 A.4.4).

    The paper's data (Iowa DOT, Washington station, February 2011, 10-min
    samples averaged hourly; 500 train / 1000 test) are not obtainable here.
    This loader reads instead the real hourly MERRA-2 series that the
    ``brightwind`` package ships (``demo_datasets/MERRA-2_<loc>_2000-01-01_2017-06-30.csv``,
    four reanalysis nodes around brightwind's demo site), from ``start`` on, with
    the paper's split sizes. Every output names it as a substitute. brightwind's
    ``demo_data.csv`` is never used (its authors describe it as made up).

    Parameters
    ----------
    location : {"NE", "NW", "SE", "SW"}
        Which MERRA-2 node.
    start : str
        First hour (pandas date string); default the paper's month, Feb 2011.
    splits : (int, int, int)
        Train / validation / test hours, consecutive (paper: 500 / 0 / 1000).
    with_direction : bool
        Add cos and sin of the 50 m wind direction as two more columns (the
        paper predicts speed from speed and direction). Column 0 is always speed.

    Returns
    -------
    Dataset
        Time series (T, 1) or (T, 3).
    """
    check_choice("location", location, set(_MERRA_LOCATIONS))
    if len(splits) != 3:
        raise ValueError(f"splits: expected 3 sizes (train, validation, test), got {splits!r}")
    splits = tuple(check_int(f"splits[{i}]", s, low=0) for i, s in enumerate(splits))
    if splits[0] < 1:
        raise ValueError(f"splits: the training part must hold at least 1 sample, got {splits}")
    path = package_path("brightwind", "demo_datasets", _MERRA_FILE.format(location),
                        install_hint="pip install --no-deps brightwind", caller="wind_speed")
    frame = pd.read_csv(path, parse_dates=["DateTime"])
    t0 = pd.Timestamp(start)
    sel = frame[frame["DateTime"] >= t0].iloc[:sum(splits)]
    if len(sel) < sum(splits):
        raise ValueError(f"start: only {len(sel)} hours from {start} to the end of the file "
                         f"(2017-06-30 23:00), need {sum(splits)}; choose an earlier start "
                         f"(from 2000-01-01)")
    speed = sel["WS50m_m/s"].to_numpy(dtype=float)
    cols, units = ["wind speed 50 m"], ["m/s"]
    values = speed[:, None]
    if with_direction:
        rad = np.deg2rad(sel["WD50m_deg"].to_numpy(dtype=float))
        values = np.column_stack([speed, np.cos(rad), np.sin(rad)])
        cols += ["cos(direction 50 m)", "sin(direction 50 m)"]
        units += ["dimensionless", "dimensionless"]
    dates = sel["DateTime"].to_numpy()
    tr, va, _ = splits
    meta = dict(
        source=(f"real, SUBSTITUTE for the paper's Iowa DOT station data: NASA MERRA-2 hourly "
                f"reanalysis, node {location}, shipped by brightwind ({path})"),
        generated=False, substitute=True, step=1.0, step_unit="hour", columns=cols,
        units=units, start=str(t0),
        dates=dict(train=dates[:tr], validation=dates[tr:tr + va], test=dates[tr + va:]),
    )
    return Dataset(f"wind_speed_merra2_{location}_substitute", "timeseries",
                   values[:tr], values[tr:tr + va], values[tr + va:], metadata=meta)
