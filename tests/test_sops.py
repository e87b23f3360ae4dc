"""SOP counting (seed 000 Eq. 10) on tiny networks counted by hand."""
import numpy as np
import pytest

from brian2_lnp.graph import Connectivity
from brian2_lnp.metrics.sops import effective_out_degree, sops


def tiny():
    # 4 neurons; synapses: 0->1, 0->2, 0->3, 1->2, 2->0, 3->1, 3->2
    pre = [0, 0, 0, 1, 2, 3, 3]
    post = [1, 2, 3, 2, 0, 1, 2]
    return Connectivity(4, pre, post, np.ones(7) * 1e-3)


def test_all_active_counted_by_hand():
    c = tiny()
    counts = [5, 2, 0, 3]
    # neuron 0: 5 spikes x 3 synapses; neuron 1: 2 x 1; neuron 2: 0 x 1; neuron 3: 3 x 2
    assert sops(counts, c) == 15 + 2 + 0 + 6
    assert list(effective_out_degree(c)) == [3, 1, 1, 2]


def test_masks_counted_by_hand():
    c = tiny()
    c.synapse_active[1] = False  # 0->2 pruned
    c.neuron_active[1] = False  # neuron 1 pruned: 0->1, 1->2 and 3->1 stop counting
    counts = [5, 7, 4, 3]  # neuron 1's (impossible) spikes must not count
    # neuron 0: only 0->3 left -> 5; neuron 2: 2->0 -> 4; neuron 3: only 3->2 -> 3
    assert sops(counts, c) == 5 + 4 + 3
    assert list(effective_out_degree(c)) == [1, 0, 1, 1]


def test_parallel_synapses_count_each():
    c = Connectivity(2, [0, 0, 1], [1, 1, 0], [1e-3, 2e-3, -1e-3])
    assert sops([4, 1], c) == 4 * 2 + 1


def test_no_spikes_no_synapses():
    assert sops([0, 0, 0], tiny().replace(N=3, pre=[], post=[], w=[], synapse_active=[],
                                          types=[0, 0, 0], cluster=[0, 0, 0],
                                          tau_m=[0.02] * 3, neuron_active=[1, 1, 1])) == 0
    assert sops([0, 0, 0, 0], tiny()) == 0


def test_bad_counts():
    with pytest.raises(ValueError, match="spike_counts"):
        sops([1, 2], tiny())
    with pytest.raises(ValueError, match="spike_counts"):
        sops([1, -2, 0, 0], tiny())
    with pytest.raises(ValueError, match="spike_counts"):
        sops([1.5, 0, 0, 0], tiny())
