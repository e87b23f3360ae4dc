"""brian2_lnp.bind: pruning Brian2 networks written by a user (CUBA / Brunel style).

The networks here are written the way Brian2's examples write them
(examples/CUBA.py, examples/frompapers/Brunel_2000.py), with the weight
declared as a synaptic variable so that it can be pruned synapse by synapse.
Runtime tests use NumPy code generation (no compilation).
"""
import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")
from brian2 import (NeuronGroup, Network, SpikeGeneratorGroup, SpikeMonitor,  # noqa: E402
                    StateMonitor, Synapses, mV, ms, nS)

import brian2_lnp as lnp  # noqa: E402
from brian2_lnp.graph import Connectivity  # noqa: E402
from brian2_lnp.models.binding import ApplyError, BindingError, Brian2Binding, bind  # noqa: E402

BRIAN2_SETTINGS = {"codegen": "numpy"}

CUBA_EQS = """
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
"""
CUBA_NS = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV)


def _input(target, seed=4, name=None):
    """20 input channels, spike times on the dt grid (one spike per channel and step)."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(20 * 1000, 400, replace=False)  # (channel, 0.1 ms step) pairs
    G = SpikeGeneratorGroup(20, cells % 20, (cells // 20) * 0.1 * ms, name=name or "spikegen*")
    S = Synapses(G, target, on_pre="ge += 3*mV", name=(name + "_syn") if name else "synapses*")
    S.connect(i=np.repeat(np.arange(20), 10), j=rng.integers(0, len(target), 200))
    return G, S


def cuba(N=200, p=0.1, seed=1, with_input=True):
    """Brian2's CUBA benchmark, scaled down, weights as a synaptic variable ``w``."""
    brian2.seed(seed)
    NE = int(0.8 * N)
    P = NeuronGroup(N, CUBA_EQS, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact", namespace=CUBA_NS, name="P")
    P.v = "Vr + rand() * (Vt - Vr)"
    Ce = Synapses(P, P, "w : volt", on_pre="ge += w", namespace=CUBA_NS, name="Ce")
    Ci = Synapses(P, P, "w : volt", on_pre="gi += w", namespace=CUBA_NS, name="Ci")
    Ce.connect(f"i<{NE}", p=p)
    Ci.connect(f"i>={NE}", p=p)
    Ce.w = (60 * 0.27 / 10) * mV * (4000 * 0.02) / (N * p)
    Ci.w = (-20 * 4.5 / 10) * mV * (4000 * 0.02) / (N * p)
    objs = [P, Ce, Ci]
    if with_input:
        G, Sin = _input(P, seed, name="inp")
        objs += [G, Sin]
    return objs


# ----------------------------------------------------------------------------- export / apply
def test_export_apply_export_roundtrip_two_synapses():
    P, Ce, Ci, G, Sin = cuba()
    net = Network(P, Ce, Ci, G, Sin)
    b = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms)
    c = b.export()
    assert c.N == 200 and c.n_synapses == len(Ce) + len(Ci)
    # types from the weight signs: the 40 last neurons send negative weights
    assert np.array_equal(c.types, np.r_[np.zeros(160), np.ones(40)])
    assert np.array_equal(c.w[:len(Ce)], np.asarray(Ce.w_[:]))
    assert np.array_equal(c.pre[len(Ce):], np.asarray(Ci.i[:]))
    assert np.all(c.tau_m == 0.02)
    rng = np.random.default_rng(0)
    t = c.copy()
    t.synapse_active[rng.choice(t.n_synapses, 300, replace=False)] = False
    t.neuron_active[[3, 170]] = False
    t.w = t.w * rng.uniform(0.5, 1.5, t.n_synapses)
    t = t.add_synapses([0, 180, 1], [7, 8, 199], [1e-3, -2e-3, 0.5e-3])
    b.apply(t)
    got = b.export()
    assert got == t, got.diff(t)
    b.apply(got)
    assert b.export() == t  # fixed point
    # silenced by w = 0 in Brian2, kept weight reported
    ws = np.r_[np.asarray(Ce.w_[:])[:-2], np.asarray(Ci.w_[:])[:-1]]
    off = ~t.effective[:c.n_synapses]
    assert np.all(ws[off] == 0) and np.all(ws[~off] != 0)
    net.run(20 * ms)
    assert b.export() == t  # static synapses: running changes nothing


def test_step3_synapses_land_in_right_object_with_right_sign():
    # COBA-style: positive weights into an inhibitory conductance (sign=-1)
    eqs = """
    dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v))/C : volt (unless refractory)
    dge/dt = -ge/(5*ms) : siemens
    dgi/dt = -gi/(10*ms) : siemens
    """
    ns = dict(gl=10 * nS, El=-60 * mV, Ee=0 * mV, Ei=-80 * mV, C=200 * brian2.pF)
    P = NeuronGroup(50, eqs, threshold="v>-50*mV", reset="v=-60*mV", refractory=5 * ms,
                    method="euler", namespace=ns)
    Pe, Pi = P[:40], P[40:]
    Ce = Synapses(Pe, P, "w : siemens", on_pre="ge += w")
    Ci = Synapses(Pi, P, "w : siemens", on_pre="gi += w")
    Ce.connect(p=0.2)
    Ci.connect(p=0.2)
    Ce.w = 0.5 * nS
    Ci.w = 4 * nS
    b = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms, sign={Ci: -1})
    c = b.export()
    assert np.array_equal(c.types, np.r_[np.zeros(40), np.ones(10)])
    assert np.all(c.w[len(Ce):] == -4e-9)
    n_e, n_i = len(Ce), len(Ci)
    existing = set(zip(c.pre.tolist(), c.post.tolist()))
    pairs = [(a, q) for a, q in [(1, 2), (45, 3), (2, 41), (46, 47), (3, 4)]
             if (a, q) not in existing]
    pre = np.array([a for a, _ in pairs])
    post = np.array([q for _, q in pairs])
    w = np.where(pre < 40, 1e-9, -3e-9)
    new_local = b.apply(c.add_synapses(pre, post, w))
    e_new, i_new = pre < 40, pre >= 40
    assert len(Ce) == n_e + e_new.sum() and len(Ci) == n_i + i_new.sum()
    assert np.array_equal(Ce.i[n_e:], pre[e_new]) and np.array_equal(Ce.j[n_e:], post[e_new])
    assert np.array_equal(Ci.i[n_i:] + 40, pre[i_new])
    assert np.allclose(Ce.w_[n_e:], 1e-9) and np.allclose(Ci.w_[n_i:], 3e-9)  # positive in gi
    assert set(new_local) == {Ce.name, Ci.name}
    assert b.export().replace() == c.add_synapses(pre, post, w)


def test_apply_validates_signs_ranges_and_structure():
    P, Ce, Ci, *_ = cuba(with_input=False)
    b = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms, w_max={Ce: 10 * mV})
    c = b.export()
    bad = c.copy()
    bad.w[0] = -1e-3  # an excitatory synapse made negative
    with pytest.raises(ApplyError, match=r"conn.w.*Dale.*\[0, inf\)"):
        b.apply(bad)
    bad = c.copy()
    bad.w[-1] = 1e-3  # an inhibitory synapse made positive
    with pytest.raises(ApplyError, match=r"inhibitory.*\(-inf, 0\]"):
        b.apply(bad)
    bad = c.copy()
    bad.w[1] = 11e-3
    with pytest.raises(ApplyError, match=r"w_max.*0 <= \|w\| <= w_max"):
        b.apply(bad)
    with pytest.raises(ApplyError, match="conn.N"):
        b.apply(Connectivity(c.N + 1, c.pre, c.post, c.w, types=np.r_[c.types, 0]))
    with pytest.raises(ApplyError, match="types"):
        b.apply(c.replace(types=1 - c.types))
    with pytest.raises(ApplyError, match="reordered"):
        b.apply(c.replace(pre=c.pre[::-1].copy(), post=c.post[::-1].copy()))
    with pytest.raises(ApplyError, match="removed"):
        b.apply(c.replace(pre=c.pre[:-1], post=c.post[:-1], w=c.w[:-1],
                          synapse_active=c.synapse_active[:-1]))
    with pytest.raises(TypeError, match="conn"):
        b.apply("nope")
    assert b.export() == c  # failed applies changed nothing


def test_scalar_tau_m_refuses_step_iv_unless_skipped():
    P, Ce, Ci, *_ = cuba(with_input=False)
    b = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms)
    assert not b.tau_m_writable
    c = b.export()
    refused = c.replace(tau_m=c.tau_m * 1.1)
    with pytest.raises(ApplyError, match="tau_m.*Step IV") as err:
        b.apply(refused)
    assert err.value.connectivity is refused  # the refused result is not lost
    b2 = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms, on_fixed_tau_m="skip")
    b2.apply(c.replace(tau_m=c.tau_m * 1.1))
    assert np.all(b2.export().tau_m == 0.02)


def test_per_neuron_tau_m_is_written():
    P = NeuronGroup(5, "dv/dt = -v/tau : volt\ntau : second (constant)", threshold="v>1*mV",
                    reset="v=0*mV", method="exact")
    P.tau = 10 * ms
    S = Synapses(P, P, "w : volt", on_pre="v += w")
    S.connect(i=[0, 1, 4], j=[1, 2, 0])
    S.w = [1, 2, -1] * mV
    b = bind(P, S, weight="w", tau_m="tau")
    c = b.export()
    assert b.tau_m_writable and np.allclose(c.tau_m, 0.01)
    assert np.array_equal(c.types, [0, 0, 0, 0, 1])
    b.apply(c.replace(tau_m=np.linspace(5e-3, 9e-3, 5)))
    assert np.allclose(P.tau_[:], np.linspace(5e-3, 9e-3, 5))


def test_bind_errors_name_the_argument():
    P, Ce, Ci, *_ = cuba(with_input=False)
    with pytest.raises(BindingError, match="weight: Synapses 'Ce' has no variable 'g'"):
        bind(P, [Ce, Ci], weight="g", tau_m=20 * ms)
    # Brian2's own CUBA: the weight is a constant inside on_pre
    Cconst = Synapses(P, P, on_pre="ge += we", namespace={"we": 1 * mV})
    Cconst.connect(i=[0], j=[1])
    with pytest.raises(BindingError, match=r"weight:.*ge \+= we.*declare it"):
        bind(P, Cconst, weight="w", tau_m=20 * ms)
    with pytest.raises(BindingError, match="tau_m: 'taum' is not a variable"):
        bind(P, [Ce, Ci], weight="w", tau_m="taum")
    with pytest.raises(BindingError, match="tau_m"):
        bind(P, [Ce, Ci], weight="w")
    with pytest.raises(BindingError, match="tau_m"):
        bind(P, [Ce, Ci], weight="w", tau_m=5 * mV)
    with pytest.raises(BindingError, match="neurons"):
        bind("P", [Ce, Ci], weight="w", tau_m=20 * ms)
    with pytest.raises(BindingError, match="synapses"):
        bind(P, [Ce, P], weight="w", tau_m=20 * ms)
    with pytest.raises(BindingError, match="sign"):
        bind(P, [Ce, Ci], weight="w", tau_m=20 * ms, sign={"nope": -1})
    with pytest.raises(BindingError, match="neuron_active: 'active'"):
        bind(P, [Ce, Ci], weight="w", tau_m=20 * ms, neuron_active="active")
    # a Synapses from an unbound group
    with pytest.raises(BindingError, match="not bound"):
        bind(P[:100], [Ce], weight="w", tau_m=20 * ms)
    # mixed signs from one neuron without a sign declaration
    Ci.w[0] = 1 * mV
    with pytest.raises(BindingError, match="types: neuron .* both positive and negative"):
        bind(P, [Ce, Ci], weight="w", tau_m=20 * ms)


def test_plastic_weight_warns_when_silenced_by_zero():
    P = NeuronGroup(4, "dv/dt = -v/(10*ms) : volt", threshold="v>1*mV", reset="v=0*mV",
                    method="exact")
    S = Synapses(P, P, "w : volt\ndapre/dt = -apre/(20*ms) : volt (event-driven)",
                 on_pre="v_post += w\napre += 0.1*mV\nw = clip(w + apre, 0*mV, 5*mV)")
    S.connect(i=[0, 1, 2], j=[1, 2, 3])
    S.w = 1 * mV
    b = bind(P, S, weight="w", tau_m=10 * ms)
    c = b.export()
    c.synapse_active[1] = False
    with pytest.warns(UserWarning, match="plasticity can revive them"):
        b.apply(c)


# ----------------------------------------------------------------------------- dynamics
def _run(objs, duration=100 * ms, seed=3):
    mon = SpikeMonitor(objs[0])
    net = Network(*objs, mon)
    brian2.seed(seed)
    net.run(duration)
    return np.asarray(mon.i[:]), np.asarray(mon.t_[:])


def test_rebuild_unpruned_gives_same_spike_trains():
    P, Ce, Ci, G, Sin = cuba(N=200)
    b = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms)
    net = Network(P, Ce, Ci, G, Sin)
    r = b.rebuild(network=net)
    assert np.array_equal(r.neuron_index, np.arange(200))
    assert len(r.synapses[0]) == len(Ce) and len(r.synapses[1]) == len(Ci)
    # the input is listed as an object to re-create, the group is new
    listed = {o.name: why for o, why in r.others}
    assert "inp_syn" in listed and "target=P" in listed["inp_syn"] and "inp" in listed
    newP = r.neurons[0]
    assert newP is not P and np.array_equal(newP.v_[:], P.v_[:])
    i1, t1 = _run([P, Ce, Ci, *_input(P)])
    i2, t2 = _run([newP, *r.synapses, *_input(newP)])
    assert i1.size > 50  # the comparison is not vacuous
    assert np.array_equal(i1, i2) and np.array_equal(t1, t2)


def test_pruned_synapses_transmit_nothing_and_pruned_neurons_are_absent():
    # neurons 0 and 1 are forced to spike; 0 -> 2 and 1 -> 3 and 0 -> 4, 1 -> 4
    def make():
        P = NeuronGroup(5, "dv/dt = -v/(10*ms) : volt", threshold="v>10*mV", reset="v=0*mV",
                        method="exact", name="net5")
        S = Synapses(P, P, "w : volt", on_pre="v_post += w", name="rec5")
        S.connect(i=[0, 1, 0, 1], j=[2, 3, 4, 4])
        S.w = 2 * mV
        G = SpikeGeneratorGroup(2, [0, 1, 0, 1], [5, 5, 20, 20] * ms, name="drive5")
        D = Synapses(G, P, on_pre="v_post += 20*mV", name="dsyn5")
        D.connect(i=[0, 1], j=[0, 1])
        return P, S, G, D

    P, S, G, D = make()
    b = bind(P, S, weight="w", tau_m=10 * ms)
    c = b.export()
    c.synapse_active[0] = False  # 0 -> 2 pruned
    c.neuron_active[1] = False  # neuron 1 pruned: 1 -> 3 and 1 -> 4 silenced
    b.apply(c)
    st = StateMonitor(P, "v", record=True)
    net = Network(P, S, G, D, st)
    net.run(30 * ms)
    v = st.v_[:]
    assert np.all(v[2] == 0) and np.all(v[3] == 0)  # nothing transmitted
    assert v[4].max() > 1e-3  # control: 0 -> 4 still transmits (2 mV, decaying)
    assert v[4].max() < 2.5e-3  # ... and only once per spike of 0, not from neuron 1
    # rebuild: the pruned neuron and the silenced synapses are absent
    r = b.rebuild(c)
    assert len(r.neurons[0]) == 4 and np.array_equal(r.neuron_index, [0, 2, 3, 4])
    assert len(r.synapses[0]) == 1
    assert np.array_equal(r.synapses[0].i[:], [0]) and np.array_equal(r.synapses[0].j[:], [3])
    assert r.binding.export().n_synapses == 1


def test_rebuild_keeps_subgroups_delays_and_state():
    # Brunel 2000 style: subgroups as sources, homogeneous delay; plus a heterogeneous one
    P = NeuronGroup(30, "dv/dt = -v/tau : volt (unless refractory)\ntau : second (constant)",
                    threshold="v > theta", reset="v = V_r", refractory=2 * ms, method="exact",
                    namespace=dict(theta=20 * mV, V_r=10 * mV))
    P.tau = "(10 + i) * ms"
    exc, inh = P[:24], P[24:]
    Se = Synapses(exc, P, "w : volt", on_pre="v += w", delay=1.5 * ms)
    Si = Synapses(inh, P, "w : volt", on_pre="v += w")
    Se.connect(p=0.3)
    Si.connect(p=0.3)
    Se.w = 0.1 * mV
    Si.w = -0.5 * mV
    Si.delay = "(1 + i % 3) * ms"
    b = bind([exc, inh], [Se, Si], weight="w", tau_m="tau")
    c = b.export()
    c.neuron_active[[2, 26]] = False
    r = b.rebuild(c)
    newE, newI = r.neurons
    assert len(newE) == 23 and len(newI) == 5
    assert newE.source is newI.source or newE.source.name == newI.source.name
    assert np.allclose(r.groups[P.name].tau_[:], P.tau_[:][r.neuron_index])
    Se2, Si2 = r.synapses
    assert Se2.pre.variables["delay"].scalar
    assert float(Se2.pre.variables["delay"].get_value()[0]) == pytest.approx(1.5e-3)
    kept = np.flatnonzero(c.effective[len(Se):])
    assert np.allclose(Si2.delay_[:], np.asarray(Si.delay_[:])[kept])
    assert r.binding.export().types.sum() == 5
    assert Se2.pre.code == Se.pre.code and r.groups[P.name].events["spike"] == "v > theta"


def test_rebuild_can_drop_mask_variables_and_take_given_state():
    # a user model with its own 0/1 masks: gating the threshold and the synaptic input
    def make():
        P = NeuronGroup(40, """dv/dt = (ge - v) / (10*ms) : volt (unless refractory)
                               dge/dt = -ge / (5*ms) : volt
                               on : 1 (constant)""",
                        threshold="v > 10*mV and on > 0.5", reset="v = 0*mV",
                        refractory=2 * ms, method="exact", name="masked")
        S = Synapses(P, P, "w : volt\nlive : 1 (constant)", on_pre="ge_post += live * on_post * w",
                     name="masked_syn")
        rng = np.random.default_rng(3)
        S.connect(i=rng.integers(0, 40, 300), j=rng.integers(0, 40, 300))
        S.w = "3*mV * rand()"
        P.on, S.live = 1, 1
        return P, S

    brian2.seed(2)
    P, S = make()
    b = bind(P, S, weight="w", tau_m=10 * ms, neuron_active="on", synapse_active="live",
             types=np.zeros(40, dtype=int))
    c = b.export()
    c.neuron_active[[1, 5, 9]] = False
    c.synapse_active[::4] = False
    b.apply(c)
    r = b.rebuild(c, drop_masks=True)
    newP, newS = r.neurons[0], r.synapses[0]
    assert "on" not in newP.variables and "live" not in newS.variables
    assert newP.events["spike"] == "v > 10*mV and 1 > 0.5"
    assert newS.pre.code.strip() == "ge_post += 1 * 1 * w"
    assert r.binding.neuron_active_var is None and r.binding.export() == c.compacted()[0]
    # the same input trains onto the surviving neurons (old and new numbering)
    rng = np.random.default_rng(8)
    cells = rng.choice(40 * 1000, 1500, replace=False)  # (channel, 0.1 ms step) pairs
    keep = r.neuron_index

    def drive(target, j):
        G = SpikeGeneratorGroup(40, cells % 40, (cells // 40) * 0.1 * ms)
        D = Synapses(G, target, on_pre="ge_post += 6*mV")
        D.connect(i=keep, j=j)
        return G, D

    i1, t1 = _run([P, S, *drive(P, keep)])
    i2, t2 = _run([newP, newS, *drive(newP, np.arange(keep.size))])
    assert i2.size > 20  # the comparison is not vacuous
    # the masked model's pruned neurons never spike: both hold the same spikes
    assert np.array_equal(keep[i2], i1) and np.array_equal(t1, t2)
    # given values replace what is read; wrong shapes and keys are named
    given = {"neurons": {"v": np.full(40, 2e-3)}}
    r2 = b.rebuild(c, values=given)
    assert np.all(r2.neurons[0].v_[:] == 2e-3)
    with pytest.raises(BindingError, match=r"values\['neurons'\]\['v'\]: one value per bound"):
        b.rebuild(c, values={"neurons": {"v": np.zeros(3)}})
    with pytest.raises(BindingError, match="values: keys"):
        b.rebuild(c, values={"neuron": {}})


def test_rebuild_refuses_unsupported_features():
    P, Ce, Ci, *_ = cuba(with_input=False)
    P.run_regularly("v = v", dt=1 * ms, name="regular")
    b = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms)
    with pytest.raises(BindingError, match="rebuild:.*regular.*run_regularly"):
        b.rebuild()
    Q = NeuronGroup(3, "dv/dt = -v/(10*ms) : volt\nItot : volt", threshold="v>1*mV",
                    reset="v=0*mV", method="exact")
    S = Synapses(Q, Q, "w : volt\nItot_post = w : volt (summed)", on_pre="v_post += w")
    S.connect(i=[0, 1], j=[1, 2])
    S.w = 1 * mV
    with pytest.raises(BindingError, match="rebuild:.*summed variables"):
        bind(Q, S, weight="w", tau_m=10 * ms).rebuild()


def test_prune_a_binding_like_a_network():
    pytest.importorskip("pandas")  # the driver's history (absent in the brian2genn env)
    P, Ce, Ci, *_ = cuba(N=120, p=0.15, with_input=False)
    b = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms)
    before = b.export()
    res = lnp.prune(b, iterations=2, steps=("noise", "centrality", "delocalize"), seed=1,
                    lyapunov=False)
    after = b.export()
    assert after == res.connectivity
    assert after.n_active_synapses < before.n_active_synapses
    assert after.n_synapses >= before.n_synapses  # Step III appended synapses, if any
    assert isinstance(b, Brian2Binding)


@pytest.mark.standalone
def test_export_after_a_cpp_standalone_run(tmp_path):
    from brian2_lnp.models.devices import use_device

    old_flags = list(brian2.prefs.codegen.cpp.extra_compile_args_gcc)
    brian2.prefs.codegen.cpp.extra_compile_args_gcc = ["-w", "-O0"]
    try:
        use_device("cpp_standalone", directory=str(tmp_path / "sa"))
        P, Ce, Ci, G, Sin = cuba(N=100, p=0.2)
        with pytest.raises(BindingError, match="known only after the run"):
            bind(P, [Ce, Ci], weight="w", tau_m=20 * ms)
        mon = SpikeMonitor(P)
        brian2.run(20 * ms)
        b = bind(P, [Ce, Ci], weight="w", tau_m=20 * ms)
        c = b.export()
        assert c.n_synapses == len(Ce) + len(Ci) > 0
        assert np.array_equal(c.pre[:len(Ce)], np.asarray(Ce.i[:]))
        assert np.allclose(c.w[:len(Ce)], Ce.w_[:]) and (c.w[len(Ce):] < 0).all()
        assert c.types.sum() == 20 and mon.num_spikes >= 0
        with pytest.raises(RuntimeError, match="already ran"):
            b.apply(c)
    finally:
        brian2.prefs.codegen.cpp.extra_compile_args_gcc = old_flags


def test_rebuild_with_delays_and_subgroups_gives_same_spike_trains():
    # Brunel 2000 as Brian2's example writes it (subgroups as sources, delay D,
    # PoissonInput), with the weight as a variable and heterogeneous inhibitory delays
    from brian2 import Hz, PoissonInput

    def poisson(target):
        return PoissonInput(target=target, target_var="v", N=100, rate=60 * Hz,
                            weight=0.2 * mV)

    ns = dict(tau=20 * ms, theta=20 * mV, V_r=10 * mV)
    P = NeuronGroup(100, "dv/dt = -v/tau : volt (unless refractory)", threshold="v > theta",
                    reset="v = V_r", refractory=2 * ms, method="exact", namespace=ns)
    exc, inh = P[:80], P[80:]
    Se = Synapses(exc, P, "w : volt", on_pre="v += w", delay=1.5 * ms)
    Si = Synapses(inh, P, "w : volt", on_pre="v += w")
    brian2.seed(2)
    Se.connect(p=0.1)
    Si.connect(p=0.1)
    Se.w = 0.2 * mV
    Si.w = -1.0 * mV
    Si.delay = "(1 + i % 3) * ms"
    inp = poisson(P)
    b = bind(P, [Se, Si], weight="w", tau_m=20 * ms, types={exc: "E", inh: "I"})
    r = b.rebuild(network=[P, Se, Si, inp])
    assert any(o is inp for o, _ in r.others)
    i1, t1 = _run([P, Se, Si, inp], seed=7)
    newP = r.groups[P.name]
    i2, t2 = _run([newP, *r.synapses, poisson(newP)], seed=7)
    assert i1.size > 50
    assert np.array_equal(i1, i2) and np.array_equal(t1, t2)


def test_global_numbering_follows_the_order_of_the_bound_groups():
    P = NeuronGroup(5, "dv/dt = -v/(10*ms) : volt", threshold="v>1*mV", reset="v=0*mV",
                    method="exact")
    S = Synapses(P, P, "w : volt", on_pre="v_post += w")
    S.connect(i=[0, 3], j=[4, 1])
    S.w = 1 * mV
    b = bind([P[3:], P[:3]], S, weight="w", tau_m=10 * ms)  # global 0, 1 = P[3], P[4]
    c = b.export()
    assert np.array_equal(c.pre, [2, 0]) and np.array_equal(c.post, [1, 3])
    b.apply(c.add_synapses([1], [3], [2e-3]))  # global 1 -> 3 is P[4] -> P[1]
    assert np.array_equal(S.i[:], [0, 3, 4]) and np.array_equal(S.j[:], [4, 1, 1])
    assert b.export().w[-1] == 2e-3
