import numpy as np
import pytest

from fastnet.random import as_seed_sequence, rng, spawn_seeds, spawn_sequences

# also run as plain Python (NUMBA_DISABLE_JIT=1) under coverage in .ci/run
pytestmark = pytest.mark.no_jit


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


def _xoshiro_python(seed, n):
    """xoshiro256+ seeded by splitmix64, written from the published algorithm with
    Python integers (the twin of fastnet.random.xoshiro_seed/xoshiro_random)."""
    mask = 2**64 - 1
    z, state = seed, []
    for _ in range(4):
        z = (z + 0x9E3779B97F4A7C15) & mask
        x = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        state.append(x ^ (x >> 31))
    s0, s1, s2, s3 = state
    out = []
    for _ in range(n):
        result = (s0 + s3) & mask
        t = (s1 << 17) & mask
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & mask
        out.append((result >> 11) / 2.0**53)
    return out


def _draw_compiled(seed, n):
    from fastnet._jit import jit
    from fastnet.random import xoshiro_random, xoshiro_seed

    @jit(cache=False)
    def draw(seed, out):
        state = np.empty(4, dtype=np.uint64)
        xoshiro_seed(seed, state)
        for i in range(out.size):
            out[i] = xoshiro_random(state)

    out = np.empty(n)
    draw(np.uint64(seed), out)
    return out


def test_xoshiro_matches_the_published_algorithm():
    for seed in [0, 1, 2**63 + 12345, 2**64 - 1]:
        np.testing.assert_array_equal(_draw_compiled(seed, 50), _xoshiro_python(seed, 50))


def test_xoshiro_uniform_moments():
    u = _draw_compiled(2024, 200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / np.sqrt(u.size)
