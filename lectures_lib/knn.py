"""A k-nearest-neighbour classifier in a few lines of NumPy: how well a digit can be read from a code or an image.

Introduced in notebooks/06_vae.ipynb (section 5, "The objective function illustration, tested"), where it measures
what each half of the VAE loss does.  It is scikit-learn's ``KNeighborsClassifier(k)`` (uniform weights, Euclidean
distance; ``tests/test_knn.py`` compares the two), written out so that the in-browser lecture need not download
scikit-learn (6 MB) for it.
"""

from __future__ import annotations

import numpy as np

from . import _validate as check


def knn_predict(train_x, train_y, query_x, k: int = 5) -> np.ndarray:
    """The label most common among the ``k`` training points nearest to each query point.

    Parameters
    ----------
    train_x : array_like, shape (n, d)
    train_y : array_like of int, shape (n,)
        Labels >= 0.
    query_x : array_like, shape (m, d)
    k : int
        Neighbours that vote, 1 <= k <= n.

    Returns
    -------
    ndarray of intp, shape (m,)

    Notes
    -----
    Squared distances ``|q - t|^2 = |q|^2 - 2 q.t + |t|^2``, one matrix product for all pairs; a tied vote goes to
    the smallest label, as in scikit-learn.

    Examples
    --------
    >>> knn_predict([[0.0], [1.0], [10.0]], [0, 0, 1], [[0.4], [9.0]], k=1).tolist()
    [0, 1]
    """
    train_x, query_x = check.finite("train_x", train_x), check.finite("query_x", query_x)
    if train_x.ndim != 2 or query_x.ndim != 2 or train_x.shape[1] != query_x.shape[1]:
        raise ValueError(f"train_x and query_x must be (n, d) and (m, d), got {train_x.shape} and {query_x.shape}")
    labels = np.asarray(train_y)
    if labels.shape != (len(train_x),) or not np.issubdtype(labels.dtype, np.integer) or (labels < 0).any():
        raise ValueError(f"train_y must hold {len(train_x)} labels >= 0, got {check._show(train_y)}")
    k = check.integer("k", k, minimum=1)
    if k > len(train_x):
        raise ValueError(f"k must be at most the {len(train_x)} training points, got {k}")
    # |q - t|^2 for every query (rows) and training point (columns), (m, n)
    d2 = (query_x**2).sum(1)[:, None] - 2 * query_x @ train_x.T + (train_x**2).sum(1)[None, :]
    nearest = np.argpartition(d2, k - 1, axis=1)[:, :k]  # (m, k): the k smallest, in any order
    votes = np.zeros((len(query_x), labels.max() + 1), dtype=np.intp)
    np.add.at(votes, (np.arange(len(query_x))[:, None], labels[nearest]), 1)
    return votes.argmax(axis=1)  # the first (smallest) label among the most voted


def knn_accuracy(train_x, train_y, test_x, test_y, k: int = 5) -> float:
    """Fraction of the test points whose label :func:`knn_predict` gets right (scikit-learn's ``score``).

    Examples
    --------
    >>> knn_accuracy([[0.0], [1.0], [10.0]], [0, 0, 1], [[0.4], [9.0]], [0, 0], k=1)
    0.5
    """
    predicted = knn_predict(train_x, train_y, test_x, k)
    test_y = np.asarray(test_y)
    if test_y.shape != predicted.shape:
        raise ValueError(f"test_y must hold one label per test point ({predicted.shape}), got {test_y.shape}")
    return float(np.mean(predicted == test_y))
