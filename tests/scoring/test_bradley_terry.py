import choix
import numpy as np
import pytest
from scipy.optimize import check_grad

from scoring import DisconnectedComparisonsError, check_connected, fit_bradley_terry, win_probabilities


def _choix_fit(wins: np.ndarray, alpha: float) -> np.ndarray:
    n = wins.shape[0]
    data = [(i, j) for i in range(n) for j in range(n) for _ in range(int(wins[i, j]))]
    params = choix.opt_pairwise(n, data, alpha=alpha, tol=1e-12)
    return params - params.mean()


def _random_wins(rng, n, density):
    wins = rng.integers(0, 6, (n, n)).astype(float)
    wins *= rng.random((n, n)) < density
    np.fill_diagonal(wins, 0)
    return wins


@pytest.mark.parametrize("alpha", [0.01, 1e-4])
@pytest.mark.parametrize("seed", range(5))
def test_all_pairs_matches_choix(seed, alpha):
    wins = _random_wins(np.random.default_rng(seed), 7, 1.0)
    np.testing.assert_allclose(fit_bradley_terry(wins, alpha=alpha), _choix_fit(wins, alpha), atol=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_star_around_a_reference_matches_choix(seed):
    rng = np.random.default_rng(seed)
    n = 6
    wins = np.zeros((n, n))
    wins[1:, 0] = rng.integers(1, 9, n - 1)
    wins[0, 1:] = rng.integers(1, 9, n - 1)
    np.testing.assert_allclose(fit_bradley_terry(wins), _choix_fit(wins, 0.01), atol=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_sparse_graph_matches_choix(seed):
    rng = np.random.default_rng(100 + seed)
    n = 9
    wins = _random_wins(rng, n, 0.3)
    # A path through every model keeps the sparse graph connected.
    for i in range(n - 1):
        wins[i, i + 1] += 1
        wins[i + 1, i] += 1
    np.testing.assert_allclose(fit_bradley_terry(wins), _choix_fit(wins, 0.01), atol=1e-6)


def test_star_without_ridge_is_the_empirical_win_rate():
    wins = np.zeros((3, 3))
    wins[1, 0], wins[0, 1] = 6, 4  # model 1 wins 60% against the reference
    wins[2, 0], wins[0, 2] = 2, 8
    s = fit_bradley_terry(wins, alpha=0.0)
    rate = win_probabilities(s)[:, 0]
    np.testing.assert_allclose(rate[1:], [0.6, 0.2], atol=1e-9)


def test_a_model_that_never_loses_stays_finite_and_first():
    wins = np.array([[0, 5, 5], [0, 0, 3], [0, 2, 0]], dtype=float)
    s = fit_bradley_terry(wins)
    assert np.isfinite(s).all()
    assert s[0] == s.max() and s[0] - s[1] > 2


def test_batched_fits_equal_single_fits():
    rng = np.random.default_rng(3)
    batch = np.stack([_random_wins(rng, 5, 1.0) for _ in range(20)])
    batch[4, 0, :] = 0  # one fit with a model that never wins
    together = fit_bradley_terry(batch)
    one_by_one = np.stack([fit_bradley_terry(w) for w in batch])
    np.testing.assert_allclose(together, one_by_one, atol=1e-10)


def test_fractional_weights_scale_like_counts():
    rng = np.random.default_rng(4)
    wins = _random_wins(rng, 5, 1.0)
    np.testing.assert_allclose(
        fit_bradley_terry(wins / 2, alpha=0.0), fit_bradley_terry(wins, alpha=0.0), atol=1e-8
    )


def test_stationary_point_has_zero_gradient():
    rng = np.random.default_rng(5)
    wins = _random_wins(rng, 6, 1.0)
    alpha = 0.01

    def objective(s):
        diff = s[:, None] - s[None, :]
        return (wins * np.logaddexp(0, -diff)).sum() + alpha * (s @ s)

    def gradient(s):
        p = win_probabilities(s)
        return -(wins.sum(1) - ((wins + wins.T) * p).sum(1)) + 2 * alpha * s

    s = fit_bradley_terry(wins, alpha=alpha)
    assert check_grad(objective, gradient, s + 0.1) < 1e-5
    assert np.abs(gradient(s)).max() < 1e-8


def test_disconnected_graph_names_the_groups():
    wins = np.zeros((4, 4))
    wins[0, 1] = wins[1, 0] = 1
    wins[2, 3] = 1
    with pytest.raises(DisconnectedComparisonsError, match=r"\{a, b\}; \{c, d\}"):
        check_connected(wins, ("a", "b", "c", "d"))
