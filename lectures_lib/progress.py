"""Progress bars for the training loops that also work in the browser's Python.

Introduced in notebooks/06_vae.ipynb (section 4), with the first training loop.  tqdm starts a "monitor" thread
with its first bar (it only closes bars whose loop stopped updating them); Pyodide, the browser's Python, cannot
start threads, and tqdm then prints a red ``TqdmMonitorWarning ... can't start new thread`` box that a student reads
as an error.  Our bars do without the monitor, everywhere.
"""

from __future__ import annotations


def progress_bar(iterable, *, desc: str, enabled: bool):
    """``tqdm.auto.tqdm(iterable)`` without the monitor thread; the bar disappears when the loop ends.

    Examples
    --------
    >>> sum(progress_bar(range(4), desc="demo", enabled=False))
    6
    """
    from tqdm.auto import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread (see the module's docstring)

    return Bar(iterable, desc=desc, disable=not enabled, leave=False)
