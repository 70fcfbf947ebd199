"""lectures_lib.knn against scikit-learn's KNeighborsClassifier, on the digits and on codes like notebook 06's."""

import numpy as np
import pytest

from lectures_lib.knn import knn_accuracy, knn_predict
from lectures_lib.vae import load_digits_split

neighbors = pytest.importorskip("sklearn.neighbors")


@pytest.mark.parametrize("k", [1, 5, 8])
def test_same_predictions_as_scikit_learn(k):
    x_train, x_test, y_train, y_test = load_digits_split(np.random.default_rng(0))
    rng = np.random.default_rng(k)
    for train, query in ((x_train, x_test),  # raw pixels, as notebook 06 names the digit of a decoded image
                         (rng.normal(size=(1438, 2)), rng.normal(size=(400, 2)))):  # 2-D codes
        ref = neighbors.KNeighborsClassifier(k).fit(train, y_train)
        np.testing.assert_array_equal(knn_predict(train, y_train, query, k), ref.predict(query))
    assert knn_accuracy(x_train, y_train, x_test, y_test, k) == ref.fit(x_train, y_train).score(x_test, y_test)


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="k"):
        knn_predict([[0.0], [1.0]], [0, 1], [[0.5]], k=3)
    with pytest.raises(ValueError, match="train_y"):
        knn_predict([[0.0], [1.0]], [0.5, 1.0], [[0.5]], k=1)
    with pytest.raises(ValueError, match="query_x"):
        knn_predict([[0.0], [1.0]], [0, 1], [[np.nan]], k=1)
    with pytest.raises(ValueError, match="test_y"):
        knn_accuracy([[0.0], [1.0]], [0, 1], [[0.5]], [0, 1], k=1)
