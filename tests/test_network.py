"""The Brian2 layer: building, export/apply round-trips, masks, STDP, compact(), devices.

Runtime tests use NumPy code generation (no compilation: fast on a shared
machine); the standalone test compiles once.
"""
import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")
from brian2 import ms  # noqa: E402

from brian2_lnp.graph import Connectivity  # noqa: E402
from brian2_lnp.models.devices import DeviceUnavailableError, use_device  # noqa: E402
from brian2_lnp.models.network import ApplyError, SpikingNetwork, build_model  # noqa: E402
from brian2_lnp.models.spec import NetworkSpec  # noqa: E402


@pytest.fixture(autouse=True)
def numpy_codegen():
    old = brian2.prefs.codegen.target
    brian2.prefs.codegen.target = "numpy"
    yield
    brian2.prefs.codegen.target = old


def hand_spec(N, pre, post, w, types=None, tau_m=20e-3, v_th=-50e-3, plastic=None,
              tau_pre=20e-3, tau_post=20e-3, A_plus=1e-4, A_minus=-1.05e-4,
              n_inputs=0, input_pre=(), input_post=(), input_w=(), t_ref=2e-3,
              tau_syn=5e-3, w_max=20e-3, neuron_active=None, synapse_active=None):
    """A NetworkSpec built by hand (values in SI units)."""
    pre, post = np.asarray(pre, dtype=int), np.asarray(post, dtype=int)
    S = pre.size
    types = np.zeros(N, dtype=int) if types is None else np.asarray(types)
    conn = Connectivity(N, pre, post, np.asarray(w, float), types=types,
                        tau_m=np.broadcast_to(tau_m, (N,)).astype(float),
                        neuron_active=neuron_active, synapse_active=synapse_active)
    plastic = (types[pre] == 0) if plastic is None else np.asarray(plastic, dtype=bool)
    full = lambda x: np.where(plastic, np.broadcast_to(x, (S,)), 0.0)  # noqa: E731
    return NetworkSpec(model="hrsnn", conn=conn, v_th=np.broadcast_to(v_th, (N,)).astype(float),
                       v_rest=-65e-3, v_reset=-65e-3, t_ref=t_ref, tau_syn=tau_syn, w_max=w_max,
                       plastic=plastic, tau_pre=full(tau_pre), tau_post=full(tau_post),
                       A_plus=full(A_plus), A_minus=full(A_minus), n_inputs=n_inputs,
                       input_pre=np.asarray(input_pre, int), input_post=np.asarray(input_post, int),
                       input_w=np.asarray(input_w, float), seed=0)


def edited(conn, rng):
    """Prune some synapses and neurons, reweight, change tau_m, add new synapses."""
    c = conn.copy()
    S = c.n_synapses
    c.synapse_active[rng.choice(S, S // 5, replace=False)] = False
    c.neuron_active[rng.choice(c.N, 3, replace=False)] = False
    c.w = c.w * rng.uniform(0.5, 1.5, S)
    # STDP clips plastic (excitatory) weights to w_max = 20 mV: apply() refuses more
    c.w = np.where(c.types[c.pre] == 0, np.minimum(c.w, 20e-3), c.w)
    c.tau_m = c.tau_m * rng.uniform(0.8, 1.2, c.N)
    existing = set(zip(c.pre.tolist(), c.post.tolist()))
    new = [(a, b) for a in range(c.N) for b in range(c.N)
           if a != b and (a, b) not in existing][:: max(1, c.N)][:6]
    pre = np.array([a for a, _ in new])
    post = np.array([b for _, b in new])
    sign = np.where(c.types[pre] == 0, 1.0, -1.0)
    return c.add_synapses(pre, post, sign * 1.5e-3)


# ----------------------------------------------------------------------------- building
def test_build_from_model_file_matches_spec_and_seed():
    from brian2_lnp.models.generate import generate_network

    net = build_model("hrsnn_small", seed=3)
    spec = generate_network("hrsnn_small", seed=3)
    assert isinstance(net.neurons, brian2.NeuronGroup)
    assert isinstance(net.synapses, brian2.Synapses)
    assert isinstance(net.inputs.group, brian2.SpikeGeneratorGroup)
    assert isinstance(net.network, brian2.Network)
    assert len(net.neurons) == spec.N
    assert len(net.synapses) == spec.conn.n_synapses
    assert np.array_equal(net.synapses.i[:], spec.conn.pre)
    assert np.array_equal(net.synapses.j[:], spec.conn.post)
    assert np.array_equal(net.neurons.v_th_[:], spec.v_th)
    assert np.array_equal(net.synapses.taupre_[:][spec.plastic], spec.tau_pre[spec.plastic])
    assert net.export() == spec.conn  # same seed -> identical connectivity and parameters
    other = generate_network("hrsnn_small", seed=4)
    assert other.conn != spec.conn


def test_chrsnn_builds():
    net = build_model("chrsnn_small", seed=2)
    c = net.export()
    assert c.N == len(net.neurons) and len(np.unique(c.cluster)) > 1


# ----------------------------------------------------------------------------- round trips
def test_export_apply_export_roundtrip_runtime():
    net = build_model("hrsnn_small", seed=1, input_rate=200)
    assert net.input_mode == "poisson"
    before = net.export()
    net.run(100 * ms)
    after = net.export()
    plastic = net.stdp_parameters()["plastic"]
    # STDP changed plastic weights and nothing else
    assert not np.array_equal(after.w[plastic], before.w[plastic])
    assert np.array_equal(after.w[~plastic], before.w[~plastic])
    assert net.spike_counts().sum() > 0

    target = edited(after, np.random.default_rng(0))
    net.apply(target)
    got = net.export()
    assert got == target, got.diff(target)
    net.apply(got)  # export -> apply -> export is a fixed point
    assert net.export() == target
    assert len(net.synapses) == target.n_synapses
    # the new synapses exist in Brian2 with the right pairs and STDP flags
    k = target.n_synapses - after.n_synapses
    assert np.array_equal(net.synapses.i[-k:], target.pre[-k:])
    assert np.array_equal(net.synapses.j[-k:], target.post[-k:])
    st = net.stdp_parameters()
    new_pl = st["plastic"][-k:]
    assert np.array_equal(new_pl, target.types[target.pre[-k:]] == 0)
    assert (st["tau_pre"][-k:][new_pl] > 0).all() and (st["A_minus"][-k:][new_pl] < 0).all()
    # running again after the write-back works and keeps pruned weights exactly
    net.run(50 * ms)
    final = net.export()
    off = ~target.synapse_active
    assert np.array_equal(final.w[off], target.w[off])


def test_apply_errors():
    net = build_model("hrsnn_small", seed=1)
    c = net.export()
    with pytest.raises(ApplyError, match="N"):
        net.apply(Connectivity(c.N + 1, c.pre, c.post, c.w, types=np.r_[c.types, 0]))
    swapped = c.replace(pre=c.pre[::-1].copy(), post=c.post[::-1].copy(), w=c.w[::-1].copy())
    with pytest.raises(ApplyError, match="reordered"):
        net.apply(swapped)
    with pytest.raises(ApplyError, match="removed"):
        net.apply(c.replace(pre=c.pre[:-1], post=c.post[:-1], w=c.w[:-1],
                            synapse_active=c.synapse_active[:-1]))
    with pytest.raises(ApplyError, match="types"):
        net.apply(c.replace(types=1 - c.types))
    with pytest.raises(TypeError, match="conn"):
        net.apply("not a connectivity")
    assert net.export() == c  # failed applies changed nothing


# ----------------------------------------------------------------------------- masks
def _three_neuron(neuron_active=None, synapse_active=None):
    # input 0 -> neurons 0 and 1 (strong); 0 -> 2 and 1 -> 2 recurrent
    return hand_spec(3, [0, 1], [2, 2], [5e-3, 5e-3], tau_m=5e-3, n_inputs=1,
                     input_pre=[0, 0], input_post=[0, 1], input_w=[60e-3, 60e-3],
                     neuron_active=neuron_active, synapse_active=synapse_active)


def test_masks_silence_neurons_and_synapses():
    times = np.arange(5, 100, 10) * 1e-3
    results = {}
    for label, na, sa in [("intact", None, None), ("masked", [True, False, True], [False, True])]:
        brian2.start_scope()
        net = SpikingNetwork(_three_neuron(na, sa), record_state=True, input_rate=0)
        net.set_input(np.zeros(times.size, int), times)
        net.run(110 * ms)
        state = net.monitors["state"]
        results[label] = (net.spike_counts(), state.v_[:], state.I_syn_[:])
    counts, v, I = results["intact"]
    assert counts[0] > 0 and counts[1] > 0 and np.abs(I[2]).max() > 0  # control: input arrives
    counts, v, I = results["masked"]
    assert counts[0] > 0
    assert counts[1] == 0  # pruned neuron never spikes despite strong input
    assert np.all(v[1] == -65e-3) and np.all(I[1] == 0)  # and receives nothing
    # neuron 2: its only inputs are a pruned synapse and a pruned neuron's synapse
    assert np.all(I[2] == 0) and np.all(v[2] == -65e-3) and counts[2] == 0


# ----------------------------------------------------------------------------- STDP
def _replay_stdp(w, pre_times, post_times, tau_pre, tau_post, A_plus, A_minus, w_max):
    """The trace rule of docs/models.md (002 Eq. 3-5), replayed event by event in Python."""
    events = sorted([(t, 0) for t in pre_times] + [(t, 1) for t in post_times])
    apre = apost = 0.0
    last = 0.0
    for t, kind in events:
        apre *= np.exp(-(t - last) / tau_pre)
        apost *= np.exp(-(t - last) / tau_post)
        last = t
        if kind == 0:
            apre += A_plus
            w = min(max(w + apost, 0.0), w_max)
        else:
            apost += A_minus
            w = min(max(w + apre, 0.0), w_max)
    return w


@pytest.mark.parametrize("order", ["pre_before_post", "post_before_pre"])
def test_stdp_sign_and_amplitude(order):
    # two neurons, one plastic synapse 0 -> 1; each neuron forced by its own input channel
    w0, tp, tq, Ap, Am = 2e-3, 15e-3, 30e-3, 0.5e-3, -0.6e-3
    spec = hand_spec(2, [0], [1], [w0], tau_m=2e-3, tau_pre=tp, tau_post=tq, A_plus=Ap,
                     A_minus=Am, n_inputs=2, input_pre=[0, 1], input_post=[0, 1],
                     input_w=[40e-3, 40e-3])
    net = SpikingNetwork(spec, input_rate=0)
    assert net.input_mode == "none"
    first, second_ = (0, 1) if order == "pre_before_post" else (1, 0)
    net.set_input([first, second_], [10e-3, 16e-3])
    assert net.input_mode == "explicit"
    net.run(40 * ms)
    i, t = net.spike_trains()
    pre_t, post_t = t[i == 0], t[i == 1]
    assert pre_t.size == 1 and post_t.size == 1  # one forced spike each
    w = net.export().w[0]
    expected = _replay_stdp(w0, pre_t, post_t, tp, tq, Ap, Am, 20e-3)
    if order == "pre_before_post":
        assert pre_t[0] < post_t[0] and w > w0  # potentiation
        assert w == pytest.approx(w0 + Ap * np.exp(-(post_t[0] - pre_t[0]) / tp), rel=1e-9)
    else:
        assert post_t[0] < pre_t[0] and w < w0  # depression
        assert w == pytest.approx(w0 + Am * np.exp(-(pre_t[0] - post_t[0]) / tq), rel=1e-9)
    assert w == pytest.approx(expected, rel=1e-9)


def test_static_and_frozen_synapses_keep_weights():
    spec = hand_spec(2, [0, 1], [1, 0], [2e-3, 2e-3], tau_m=2e-3, plastic=[False, True],
                     synapse_active=[True, False], n_inputs=2, input_pre=[0, 1],
                     input_post=[0, 1], input_w=[40e-3, 40e-3])
    for plasticity in (True, False):
        brian2.start_scope()
        net = SpikingNetwork(spec, input_rate=0, plasticity=plasticity)
        net.set_input([0, 1, 1, 0], [10e-3, 14e-3, 30e-3, 34e-3])
        net.run(50 * ms)
        assert net.spike_counts().min() >= 2
        # synapse 0 is static, synapse 1 plastic but pruned: both unchanged to the bit
        assert np.array_equal(net.export().w, spec.conn.w)


# ----------------------------------------------------------------------------- compact
def test_compact_gives_same_spikes_as_masked_network():
    net = build_model("hrsnn_small", seed=5, input_rate=200)
    target = edited(net.export(), np.random.default_rng(1))
    net.apply(target)
    small = net.compact()
    assert len(small.neurons) == target.n_active_neurons
    assert len(small.synapses) == target.n_active_synapses
    assert small.export() == target.compacted()[0]
    net.run(150 * ms)
    small.run(150 * ms)
    i1, t1 = net.spike_trains()
    i2, t2 = small.spike_trains()
    assert i1.size > 20  # the comparison is not vacuous
    assert np.array_equal(small.neuron_index[i2], i1) and np.array_equal(t1, t2)
    assert np.array_equal(np.sort(net.input_spikes()[1]), np.sort(small.input_spikes()[1]))
    # same plasticity on the kept synapses
    assert np.array_equal(small.export().w, net.export().w[small.synapse_index])
    assert small.sops() == net.sops()


def test_compacted_network_has_no_masks_and_inputs_only_onto_survivors():
    net = build_model("hrsnn_small", seed=4, input_rate=200)
    target = net.export()
    target.neuron_active[::4] = False
    target.synapse_active[::5] = False
    net.apply(target)
    small = net.compact()
    # made by the binding's rebuild, without the mask variables or any use of them
    assert "neuron_active" not in small.neurons.variables
    assert "synapse_active" not in small.synapses.variables
    assert "active" not in small.neurons.events["spike"]
    for pw in (small.synapses.pre, small.synapses.post, small.inputs.synapses.pre):
        assert "active" not in pw.code
    assert small.binding.neuron_active_var is None and small.binding.synapse_active_var is None
    kept_inputs = target.neuron_active[net.spec.input_post]
    assert len(small.inputs.synapses) == kept_inputs.sum() < len(net.inputs.synapses)
    assert np.array_equal(small.neuron_index[np.asarray(small.inputs.synapses.j[:])],
                          net.spec.input_post[kept_inputs])
    # a compacted model written back again silences with w = 0 (no mask left)
    c = small.export()
    c.synapse_active[:3] = False
    small.apply(c)
    assert np.all(np.asarray(small.synapses.w_[:3]) == 0) and small.export() == c


def test_compact_refuses_options_that_change_the_equations():
    net = build_model("hrsnn_small", seed=4, input_rate=200)
    with pytest.raises(ValueError, match="plasticity=False.*small.spec"):
        net.compact(plasticity=False)
    with pytest.raises(TypeError, match="unknown option 'colour'"):
        net.compact(colour="red")
    small = net.compact(plasticity=True, record_spikes=False, input_rate=50)
    assert "spikes" not in small.monitors and small.input_rate == 50


def test_sops_from_monitor_counts():
    net = build_model("hrsnn_small", seed=2, input_rate=200)
    c = net.export()
    c.neuron_active[:5] = False
    c.synapse_active[::3] = False
    net.apply(c)
    net.run(100 * ms)
    counts = np.bincount(net.spike_trains()[0], minlength=c.N)
    expected = sum(int(counts[p]) for p, q, a in zip(c.pre, c.post, c.synapse_active)
                   if a and c.neuron_active[p] and c.neuron_active[q])
    assert expected > 0 and net.sops() == expected


def test_background_input_is_seeded_and_windowed():
    a = build_model("hrsnn_small", seed=7, input_rate=30)
    a.run(20 * ms)
    a.run(30 * ms)
    brian2.start_scope()
    b = build_model("hrsnn_small", seed=7, input_rate=30)
    b.run(50 * ms)
    ia, ta = a.input_spikes()
    ib, tb = b.input_spikes()
    assert ta.size > 0 and ta.max() < 0.05
    # windows are drawn per window start, so only the first window coincides
    assert np.array_equal(ia[ta < 0.02], ib[tb < 0.02])
    assert np.array_equal(ta[ta < 0.02], tb[tb < 0.02])


def test_invalid_arguments():
    spec = hand_spec(2, [0], [1], [1e-3])
    with pytest.raises(ValueError, match="input_rate"):
        SpikingNetwork(spec, input_rate=-1)
    with pytest.raises(ValueError, match="N"):
        build_model("hrsnn_small", N=0)
    with pytest.raises(TypeError, match="spec"):
        SpikingNetwork("hrsnn")
    net = SpikingNetwork(spec)
    with pytest.raises(ValueError, match="no input"):
        net.set_input([0], [0.01])
    # options of the wrong type or range name themselves (not a Brian2 or NumPy error)
    with pytest.raises(TypeError, match="plasticity"):
        SpikingNetwork(spec, plasticity="no")
    with pytest.raises(TypeError, match="record_spikes"):
        SpikingNetwork(spec, record_spikes="yes")
    with pytest.raises(TypeError, match="record_state"):
        SpikingNetwork(spec, record_state="v")
    with pytest.raises(ValueError, match=r"record_state: .*\[0, 1\]"):
        SpikingNetwork(spec, record_state=[500])
    with pytest.raises(ValueError, match="input_seed"):
        SpikingNetwork(spec, input_seed=-3)
    assert SpikingNetwork(spec, record_state=[1]).monitors["state"].record.tolist() == [1]


def test_use_device_runtime_codegen():
    use_device("runtime", codegen="numpy")
    assert brian2.prefs.codegen.target == "numpy"
    use_device("runtime")
    try:
        import Cython  # noqa: F401
        expected = {"cython"}
    except ImportError:
        expected = {"numpy"}
    assert brian2.prefs.codegen.target in expected
    with pytest.raises(ValueError, match="codegen"):
        use_device("runtime", codegen="weave")


def test_genn_device_missing_is_a_clear_error():
    try:
        import brian2genn  # noqa: F401
        pytest.skip("brian2genn is installed here")
    except ImportError:
        pass
    with pytest.raises(DeviceUnavailableError, match="brian2genn"):
        use_device("genn")
    with pytest.raises(ValueError, match="name"):
        use_device("cuda_standalone_typo")


# ----------------------------------------------------------------------------- standalone
@pytest.mark.standalone
def test_cpp_standalone_roundtrip_and_seeds(tmp_path):
    from brian2_lnp.models.generate import generate_network

    # -O0: this test checks values, not speed, and compiling is the slow part here
    old_flags = list(brian2.prefs.codegen.cpp.extra_compile_args_gcc)
    brian2.prefs.codegen.cpp.extra_compile_args_gcc = ["-w", "-O0"]
    try:
        _standalone_checks(tmp_path, generate_network)
    finally:
        brian2.prefs.codegen.cpp.extra_compile_args_gcc = old_flags


def _standalone_checks(tmp_path, generate_network):
    use_device("cpp_standalone", directory=str(tmp_path / "sa"))
    net = build_model("hrsnn_small", seed=1, input_rate=200)
    # seeds give identical connectivity and parameters on every device
    assert net.export() == generate_network("hrsnn_small", seed=1).conn
    target = edited(net.export(), np.random.default_rng(0))
    net.apply(target)
    assert net.export() == target  # before the run: the values written from Python
    net.apply(net.export())
    net.run(100 * ms)
    got = net.export()  # after the run: read back from the compiled program
    static = ~net.stdp_parameters()["plastic"] | ~target.effective
    assert np.array_equal(got.w[static], target.w[static])
    assert got.replace(w=target.w) == target
    assert not np.array_equal(got.w, target.w)  # STDP ran
    assert net.spike_counts().sum() > 0 and net.sops() > 0
    assert net.last_timing["compile"] > 0 and net.last_timing["simulation"] > 0
    with pytest.raises(RuntimeError, match="already ran"):
        net.apply(target)


# ----------------------------------------------------------------------------- input validation
def test_units_are_checked_at_the_boundary():
    from brian2 import Hz, mV, second

    with pytest.raises(ValueError, match="input_rate: expected a rate"):
        build_model("hrsnn_small", seed=1, input_rate=5 * mV)
    net = build_model("hrsnn_small", seed=1, input_rate=20 * Hz)
    assert net.input_rate == 20.0
    with pytest.raises(ValueError, match="times: expected a time"):
        net.set_input([0], [5 * mV])
    with pytest.raises(ValueError, match="times: expected a time"):
        net.set_input([0], 5 * mV)
    with pytest.raises(TypeError, match="indices"):
        net.set_input([0.5], [0.01])
    net.set_input([0, 1], [0.01, 0.02] * second)  # a time Quantity is fine
    assert np.allclose(net.input_spikes()[1], [0.01, 0.02])
    with pytest.raises(ValueError, match="dt"):
        build_model("hrsnn_small", seed=1, dt=1 * mV)


def test_stdp_params_are_validated_by_key():
    from brian2 import mV, second

    net = build_model("hrsnn_small", seed=1)
    c = net.export()
    new = c.add_synapses([0], [c.post[c.pre != 0][0]], [1e-3])
    good = {"tau_pre": 20e-3 * second, "tau_post": 30e-3, "A_plus": 0.1 * mV,
            "A_minus": -0.1 * mV}
    with pytest.raises(ValueError, match=r"stdp_params\['tau_pre'\]: expected a time"):
        net.apply(new, stdp_params=dict(good, tau_pre=5 * mV))
    with pytest.raises(ValueError, match=r"missing \['A_minus'\].*allowed keys are"):
        net.apply(new, stdp_params={k: v for k, v in good.items() if k != "A_minus"})
    with pytest.raises(ValueError, match=r"unknown \['tau_m'\]"):
        net.apply(new, stdp_params=dict(good, tau_m=1))
    with pytest.raises(ValueError, match=r"stdp_params\['A_minus'\]: must lie in \(-inf, 0\]"):
        net.apply(new, stdp_params=dict(good, A_minus=0.1 * mV))
    with pytest.raises(ValueError, match=r"stdp_params\['tau_post'\]: must lie in \(0, inf\)"):
        net.apply(new, stdp_params=dict(good, tau_post=0))
    assert net.export() == c  # refused applies changed nothing
    net.apply(new, stdp_params=good)
    st = net.stdp_parameters()
    assert st["plastic"][-1] and st["tau_pre"][-1] == 20e-3 and st["A_minus"][-1] == -1e-4


def test_apply_checks_dale_and_w_max():
    net = build_model("hrsnn_small", seed=1)
    c = net.export()
    exc = np.flatnonzero(c.types[c.pre] == 0)
    inh = np.flatnonzero(c.types[c.pre] == 1)
    bad = c.copy()
    bad.w[exc[0]] = -1e-3
    with pytest.raises(ApplyError, match=r"conn.w: synapse .* excitatory .* \[0, inf\)"):
        net.apply(bad)
    bad = c.copy()
    bad.w[inh[0]] = 1e-3
    with pytest.raises(ApplyError, match=r"conn.w: synapse .* inhibitory .* \(-inf, 0\]"):
        net.apply(bad)
    bad = c.copy()
    bad.w[exc[0]] = 1.5 * net.w_max
    with pytest.raises(ApplyError, match=r"plastic synapse .* \[0, w_max\]"):
        net.apply(bad)
    assert net.export() == c
    bad.synapse_active[exc[0]] = False  # a pruned synapse is not clipped by STDP
    net.apply(bad)
    brian2.start_scope()
    frozen = build_model("hrsnn_small", seed=1, plasticity=False)
    c.w[exc[0]] = 1.5 * frozen.w_max  # no STDP: nothing clips, the weight is kept
    frozen.apply(c)
    assert frozen.export() == c


def test_freeze_survives_apply():
    net = build_model("hrsnn_small", seed=1)
    net.freeze(True)
    net.apply(net.export())
    assert np.all(net.synapses.plastic[:] == 0)
    net.freeze(False)
    assert np.array_equal(net.synapses.plastic[:] > 0, net.stdp_parameters()["plastic"])
