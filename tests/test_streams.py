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
