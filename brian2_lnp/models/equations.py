"""The equations of the package's own models (LIF neurons, trace STDP, input synapses).

Everything stays inside the feature subset of Brian2GeNN (checked against
brian2genn 1.7's device): one synaptic write (``I_syn_post +=``) per Synapses
object, no presynaptic variables in ``on_pre`` nor postsynaptic ones in
``on_post``, no summed variables, no subexpressions in synaptic code.
"""

__all__ = ["NEURON_EQUATIONS", "NEURON_THRESHOLD", "NEURON_RESET", "STDP_MODEL", "STDP_ON_PRE",
           "STDP_ON_POST", "STATIC_MODEL", "STATIC_ON_PRE", "INPUT_MODEL", "INPUT_ON_PRE",
           "UNUSED_TAU", "MASKS"]

#: The 0/1 mask variables of the models (all 1 after compaction, which removes them).
MASKS = ("neuron_active", "synapse_active")

#: LIF neuron (docs/models.md). ``neuron_active`` gates spiking (threshold)
#: and every synaptic input (on_pre of all Synapses), not the membrane ODE:
#: multiplying the ODE by 0 would make exponential Euler divide by zero.
NEURON_EQUATIONS = """
dv/dt = (v_rest - v + I_syn) / tau_m : volt (unless refractory)
dI_syn/dt = -I_syn / tau_syn : volt
tau_m : second (constant)
v_th : volt (constant)
neuron_active : 1 (constant)
"""
NEURON_THRESHOLD = "v > v_th and neuron_active > 0.5"
NEURON_RESET = "v = v_reset"

#: Recurrent synapses with trace STDP (docs/models.md, 002 Eq. 3-5).
#: One Synapses object for plastic and static synapses keeps export a single
#: array in Connectivity order; ``plastic`` (0/1) selects STDP. The weight
#: update ``g*new + (1-g)*w`` with g in {0, 1} is exact: static, pruned, or
#: pruned-neuron synapses keep their weight to the last bit.
STDP_MODEL = """
w : volt
synapse_active : 1 (constant)
plastic : 1 (constant)
taupre : second (constant)
taupost : second (constant)
A_plus : volt (constant)
A_minus : volt (constant)
dapre/dt = -apre / taupre : volt (event-driven)
dapost/dt = -apost / taupost : volt (event-driven)
"""
# No presynaptic variable may appear in on_pre (Brian2GeNN), so the pre neuron
# is gated by never spiking and the post neuron by neuron_active_post.
STDP_ON_PRE = """
I_syn_post += synapse_active * neuron_active_post * w
apre += A_plus
w = plastic * synapse_active * neuron_active_post * clip(w + apost, 0*volt, w_max) + (1 - plastic * synapse_active * neuron_active_post) * w
"""
STDP_ON_POST = """
apost += A_minus
w = plastic * synapse_active * neuron_active_pre * clip(w + apre, 0*volt, w_max) + (1 - plastic * synapse_active * neuron_active_pre) * w
"""
#: Recurrent synapses with plasticity switched off (``plasticity=False``).
STATIC_MODEL = """
w : volt
synapse_active : 1 (constant)
"""
STATIC_ON_PRE = "I_syn_post += synapse_active * neuron_active_post * w"
#: Input channel -> recurrent neuron synapses (static).
INPUT_MODEL = "w : volt (constant)"
INPUT_ON_PRE = "I_syn_post += neuron_active_post * w"

# Brian2 reserves the suffixes _pre/_post, so the Brian2 variables are called
# taupre/taupost (the NetworkSpec fields tau_pre/tau_post).
# trace time constant given to non-plastic synapses: their traces are never
# used, but tau = 0 would give 0/0 in the event-driven update
UNUSED_TAU = 1.0
