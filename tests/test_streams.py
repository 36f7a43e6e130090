import numpy as np
import pytest

from mdbf_envs.core.streams import ReplicationStreams


@pytest.mark.parametrize("draws", [("standard_normal",), ("random",), ("standard_normal", "random")])
def test_streams_draw_what_lone_generators_draw_round_by_round(draws):
    streams = ReplicationStreams([np.random.default_rng(s) for s in (3, 4, 5)], draws, block=4)
    lone = [np.random.default_rng(s) for s in (3, 4, 5)]
    for _ in range(11):  # crosses two refills of the block
        for method in draws:
            got = getattr(streams, method)((3, 2))
            np.testing.assert_array_equal(got, np.vstack([getattr(g, method)((1, 2)) for g in lone]))


def test_streams_refuse_draws_that_would_break_the_order():
    streams = ReplicationStreams([np.random.default_rng(0), np.random.default_rng(1)], ("standard_normal",))
    streams.standard_normal((2, 3))
    with pytest.raises(ValueError, match="drawing standard_normal ahead were asked for random"):
        streams.random((2, 3))
    with pytest.raises(ValueError, match="drawing 3 per row ahead were asked for 4"):
        streams.standard_normal((2, 4))
    with pytest.raises(ValueError, match="3 rows asked of 2 streams"):
        streams.standard_normal((3, 3))


def lone_copies(seeds, repeats):
    return [np.random.default_rng(s) for _ in range(repeats) for s in seeds]


@pytest.mark.parametrize("block", [1, 4])
def test_repeats_draw_what_identically_seeded_generators_draw(block):
    """Row c G + g of streams with repeats gets what its own generator seeded as source g draws."""
    draws = ("standard_normal",) if block > 1 else ("standard_normal", "random")
    streams = ReplicationStreams([np.random.default_rng(s) for s in (3, 4)], draws, block=block, repeats=3)
    alone = ReplicationStreams(lone_copies((3, 4), 3), draws, block=block)
    assert streams.rows == 6
    for _ in range(9):
        for method in draws:
            np.testing.assert_array_equal(getattr(streams, method)((6, 2)), getattr(alone, method)((6, 2)))
    with pytest.raises(ValueError, match="5 rows asked of 6 streams"):
        streams.standard_normal((5, 2))
    with pytest.raises(ValueError, match="repeats = 0 must be >= 1"):
        ReplicationStreams([np.random.default_rng(0)], draws, repeats=0)


@pytest.mark.parametrize("before", [0, 3, 4, 6])
def test_rounds_in_one_call_are_the_rounds_drawn_one_by_one(before):
    """``rounds`` takes what is left of the block first, then draws on; per-round draws after it
    go on where it stopped."""
    streams = ReplicationStreams([np.random.default_rng(s) for s in (3, 4)], ("standard_normal",), block=4, repeats=2)
    lone = ReplicationStreams([np.random.default_rng(s) for s in (3, 4)], ("standard_normal",), block=4, repeats=2)
    for _ in range(before):
        np.testing.assert_array_equal(streams.standard_normal((4, 3)), lone.standard_normal((4, 3)))
    got = streams.rounds("standard_normal", 7, 3)
    assert got.shape == (7, 2, 3) and got.flags.c_contiguous
    for k in range(7):
        np.testing.assert_array_equal(np.tile(got[k], (2, 1)), lone.standard_normal((4, 3)))
    np.testing.assert_array_equal(streams.standard_normal((4, 3)), lone.standard_normal((4, 3)))


def test_rounds_refuse_another_method_or_width():
    streams = ReplicationStreams([np.random.default_rng(0)], ("standard_normal",), block=4)
    with pytest.raises(ValueError, match="drawing standard_normal every round were asked for 2 rounds of random"):
        streams.rounds("random", 2, 3)
    streams.standard_normal((1, 3))
    with pytest.raises(ValueError, match="drawing 3 per row ahead were asked for 2"):
        streams.rounds("standard_normal", 2, 2)
    mixed = ReplicationStreams([np.random.default_rng(0)], ("standard_normal", "random"))
    with pytest.raises(ValueError, match="drawing None every round"):
        mixed.rounds("standard_normal", 2, 3)
