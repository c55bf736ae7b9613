import numpy as np
import pytest

from fastnet.random import as_seed_sequence, rng, spawn_seeds, spawn_sequences


def test_children_are_seedsequence_spawn_words():
    # derived independently: numpy's own SeedSequence.spawn, first uint64 word
    expected = [c.generate_state(1, dtype=np.uint64)[0]
                for c in np.random.SeedSequence(8888).spawn(5)]
    seeds = spawn_seeds(8888, 5)
    assert seeds.dtype == np.uint64 and seeds.shape == (5,)
    np.testing.assert_array_equal(seeds, expected)


@pytest.mark.parametrize("k", [0, 1, 7, 40])
def test_prefix_stable(k):
    np.testing.assert_array_equal(spawn_seeds(123, 40)[:k], spawn_seeds(123, k))


def test_children_distinct_and_seed_dependent():
    a, b = spawn_seeds(1, 1000), spawn_seeds(2, 1000)
    assert len(set(a.tolist())) == 1000
    assert not set(a.tolist()) & set(b.tolist())


def test_seedsequence_input_is_not_advanced():
    parent = np.random.SeedSequence(99)
    first = spawn_seeds(parent, 4)
    np.testing.assert_array_equal(first, spawn_seeds(parent, 4))
    assert parent.n_children_spawned == 0
    np.testing.assert_array_equal(first, spawn_seeds(99, 4))


def test_nested_spawn_keys():
    child = spawn_sequences(5, 3)[2]
    assert child.spawn_key == (2,)
    grandchildren = spawn_seeds(child, 2)
    expected = [c.generate_state(1, dtype=np.uint64)[0]
                for c in np.random.SeedSequence(5).spawn(3)[2].spawn(2)]
    np.testing.assert_array_equal(grandchildren, expected)


def test_none_gives_fresh_entropy():
    assert not np.array_equal(spawn_seeds(None, 4), spawn_seeds(None, 4))
    assert as_seed_sequence(None).entropy != as_seed_sequence(None).entropy


def test_rng():
    assert rng(3).random() == np.random.default_rng(np.random.SeedSequence(3)).random()
    g = np.random.default_rng(0)
    assert rng(g) is g
    assert as_seed_sequence(np.int64(7)).entropy == 7


@pytest.mark.parametrize("seed,err", [(-1, ValueError), (1.5, TypeError), ("1", TypeError),
                                      (True, TypeError), ([1], TypeError)])
def test_bad_seed(seed, err):
    with pytest.raises(err, match="seed must be"):
        spawn_seeds(seed, 2)


@pytest.mark.parametrize("n,err", [(-1, ValueError), (2.0, TypeError), (None, TypeError)])
def test_bad_count(n, err):
    with pytest.raises(err, match="n must be"):
        spawn_seeds(0, n)
