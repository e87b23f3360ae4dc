import numpy as np
import pytest
import scipy.sparse as sp

from brian2_lnp.graph import Connectivity, ConnectivityFileError


def _small():
    W = np.array([[0, 1.0, 0, 0],
                  [0, 0, -2.0, 0],
                  [3.0, 0, 0, 0.5],
                  [0, 0, 0, 0]])
    return Connectivity.from_matrix(W, tau_m=[0.01, 0.02, 0.03, 0.04], types="EIEE")


def test_from_matrix_to_matrix_roundtrip():
    c = _small()
    assert c.N == 4 and c.n_synapses == 4
    np.testing.assert_array_equal(c.to_matrix().toarray(), [[0, 1.0, 0, 0], [0, 0, -2.0, 0],
                                                            [3.0, 0, 0, 0.5], [0, 0, 0, 0]])
    assert list(c.types) == [0, 1, 0, 0]


def test_masks_remove_synapses_and_neurons_from_matrix():
    c = _small()
    c.synapse_active[(c.pre == 0) & (c.post == 1)] = False
    c.neuron_active[3] = False  # removes 2 -> 3 as well
    M = c.to_matrix().toarray()
    assert M[0, 1] == 0 and M[2, 3] == 0 and M[2, 0] == 3.0
    assert c.n_active_synapses == 2 and c.n_active_neurons == 3


def test_copy_equality_and_independence():
    c = _small()
    d = c.copy()
    assert c == d
    d.w[0] += 1
    assert c != d and d.diff(c) == ["w"]


def test_compacted_renumbers():
    c = _small()
    c.neuron_active[1] = False
    small, nidx, sidx = c.compacted()
    assert small.N == 3 and list(nidx) == [0, 2, 3]
    np.testing.assert_array_equal(small.to_matrix().toarray(),
                                  c.to_matrix().toarray()[np.ix_(nidx, nidx)])


def test_save_load_roundtrip(tmp_path):
    c = _small()
    c.provenance = {"seed": 3, "iteration": 7}
    c.neuron_active[2] = False
    c.save(tmp_path / "c.npz")
    d = Connectivity.load(tmp_path / "c.npz")
    assert d == c and d.provenance == {"seed": 3, "iteration": 7, "seed_stream": 2}


def test_load_corrupt_and_wrong_version(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file at all")
    with pytest.raises(ConnectivityFileError, match="bad.npz: not a brian2_lnp"):
        Connectivity.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.arange(3))
    with pytest.raises(ConnectivityFileError, match="not a brian2_lnp"):
        Connectivity.load(other)
    c = _small()
    c.save(tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz") as data:
        fields = dict(data)
    fields["format_version"] = np.array(99)
    np.savez(tmp_path / "v99.npz", **fields)
    with pytest.raises(ConnectivityFileError, match="version 99"):
        Connectivity.load(tmp_path / "v99.npz")


@pytest.mark.parametrize("kwargs, field", [
    (dict(N=2, pre=[0], post=[5], w=[1.0]), "pre, post"),
    (dict(N=2, pre=[0], post=[1], w=[np.nan]), "w"),
    (dict(N=2, pre=[0], post=[1], w=[1.0], tau_m=[0.01, -1]), "tau_m"),
    (dict(N=2, pre=[0], post=[1], w=[1.0], types=["E", "X"]), "types"),
    (dict(N=2, pre=[0, 1], post=[1], w=[1.0]), "pre, post, w"),
])
def test_invalid_fields_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Connectivity(**kwargs)


def test_add_synapses_appends_active():
    c = _small().add_synapses([3], [0], [0.25])
    assert c.n_synapses == 5 and c.to_matrix()[3, 0] == 0.25
    assert isinstance(c.to_matrix(), sp.csr_matrix)
