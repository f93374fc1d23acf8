"""helpers.optim's public dict steps by rule name, with their state initialisers: what the
optimiser tests iterate over (every name in ``optim.RULES``)."""
from helpers import optim

STEPS = {
    "sgd": (optim.init_sgd_state, lambda params, grads, state, lr: (optim.sgd_step(params, grads, lr), state)),
    "momentum": (optim.init_momentum_state, optim.momentum_step),
    "momentum_accumulated": (optim.init_accumulated_momentum_state, optim.accumulated_momentum_step),
    "momentum_ema": (optim.init_accumulated_momentum_state, optim.ema_momentum_step),
    "nesterov": (optim.init_momentum_state, optim.nesterov_step),
    "adagrad": (optim.init_adagrad_state, optim.adagrad_step),
    "rmsprop": (optim.init_rmsprop_state, optim.rmsprop_step),
    "adam": (optim.init_adam_state, optim.adam_step),
}
