"""Mutants of torch 2.13's schedulers, as data: (name, targets, module, qualname, snippet, replacement, what).

Each is one textual replacement in one function, applied at import by `sitecustomize.py`
when LRC_MUTANT names it; the installed files are never edited.
"""

from __future__ import annotations

from typing import NamedTuple

LR = "torch.optim.lr_scheduler"
SWA = "torch.optim.swa_utils"


class Mutant(NamedTuple):
    name: str
    targets: tuple
    module: str
    qualname: str
    snippet: str
    replacement: str
    what: str


_RAW = [
    # base class
    ("base_step_count_from_1", ("SWALR",), LR, "LRScheduler._initial_step",
     "self._step_count = 0", "self._step_count = 1", "the base class counts _step_count from 1"),
    ("base_load_forgets_step_count", ("StepLR",), LR, "LRScheduler.load_state_dict",
     "self.__dict__.update(state_dict)",
     "self.__dict__.update({k: v for k, v in state_dict.items() if k != '_step_count'})",
     "load_state_dict does not restore _step_count"),
    ("base_state_dict_drops_last_lr", ("ExponentialLR",), LR, "LRScheduler.state_dict",
     'if key != "optimizer"', 'if key not in ("optimizer", "_last_lr")', "state_dict forgets _last_lr"),
    ("base_load_mutates_input", ("MultiStepLR",), LR, "LRScheduler.load_state_dict",
     "self.__dict__.update(state_dict)", "self.__dict__.update(state_dict); state_dict.pop('_last_lr', None)",
     "load_state_dict mutates the dict it is given"),
    # LambdaLR / MultiplicativeLR
    ("lambda_off_by_one", ("LambdaLR",), LR, "LambdaLR.get_lr",
     "lmbda(self.last_epoch)", "lmbda(self.last_epoch + 1)", "lr_lambda called with the next epoch"),
    ("lambda_state_dict_drops_callable", ("LambdaLR",), LR, "LambdaLR.state_dict",
     'state_dict["lr_lambdas"][idx] = fn.__dict__.copy()', "pass", "a callable object's __dict__ is not saved"),
    ("lambda_load_skips_callable", ("LambdaLR",), LR, "LambdaLR.load_state_dict",
     "self.lr_lambdas[idx].__dict__.update(fn)", "pass", "a callable object's __dict__ is not restored"),
    ("lambda_load_mutates_input", ("LambdaLR",), LR, "LambdaLR.load_state_dict",
     'state_dict["lr_lambdas"] = lr_lambdas', "pass", "load_state_dict leaves lr_lambdas popped from its input"),
    ("multiplicative_applies_initial", ("MultiplicativeLR",), LR, "MultiplicativeLR.get_lr",
     "if not self._is_initial:", "if True:", "the factor is applied at construction too"),
    ("multiplicative_load_skips_callable", ("MultiplicativeLR",), LR, "MultiplicativeLR.load_state_dict",
     "self.lr_lambdas[idx].__dict__.update(fn)", "pass", "a callable object's __dict__ is not restored"),
    # StepLR / MultiStepLR / ExponentialLR
    ("step_closed_off_by_one", ("StepLR",), LR, "StepLR._get_closed_form_lr",
     "(self.last_epoch // self.step_size)", "((self.last_epoch + 1) // self.step_size)",
     "closed form decays one epoch early"),
    ("step_decays_at_zero", ("StepLR",), LR, "StepLR.get_lr",
     "(self.last_epoch == 0) or ", "", "chainable form decays at epoch 0"),
    ("multistep_closed_gt", ("MultiStepLR",), LR, "MultiStepLR._get_closed_form_lr",
     "bisect_right(", "bisect_left(", "closed form: milestone compared with > instead of >="),
    ("multistep_ignores_repeats", ("MultiStepLR",), LR, "MultiStepLR.get_lr",
     "self.gamma ** self.milestones[self.last_epoch]", "self.gamma", "a repeated milestone decays once"),
    ("exponential_decays_at_construction", ("ExponentialLR",), LR, "ExponentialLR.get_lr",
     "if self._is_initial:", "if False:", "gamma applied by the constructor's step"),
    ("exponential_closed_off_by_one", ("ExponentialLR",), LR, "ExponentialLR._get_closed_form_lr",
     "self.gamma**self.last_epoch", "self.gamma ** (self.last_epoch + 1)", "closed form one epoch ahead"),
    # ConstantLR / LinearLR / PolynomialLR
    ("constant_ends_late", ("ConstantLR",), LR, "ConstantLR.get_lr",
     "if self.last_epoch != self.total_iters:", "if self.last_epoch != self.total_iters + 1:",
     "chainable form drops the factor one step late"),
    ("constant_closed_gt", ("ConstantLR",), LR, "ConstantLR._get_closed_form_lr",
     "(self.last_epoch >= self.total_iters)", "(self.last_epoch > self.total_iters)",
     "closed form: total_iters compared with > instead of >="),
    ("linear_chain_off_by_one", ("LinearLR",), LR, "LinearLR.get_lr",
     "(self.last_epoch - 1) * (self.end_factor", "(self.last_epoch) * (self.end_factor",
     "chainable form one epoch off in the denominator"),
    ("linear_closed_off_by_one", ("LinearLR",), LR, "LinearLR._get_closed_form_lr",
     "min(self.total_iters, self.last_epoch)", "min(self.total_iters, self.last_epoch + 1)",
     "closed form one epoch ahead"),
    ("polynomial_ends_early", ("PolynomialLR",), LR, "PolynomialLR.get_lr",
     "self.last_epoch > self.total_iters", "self.last_epoch >= self.total_iters",
     "chainable form stops one step early"),
    ("polynomial_closed_off_by_one", ("PolynomialLR",), LR, "PolynomialLR._get_closed_form_lr",
     "min(self.total_iters, self.last_epoch) / self.total_iters",
     "min(self.total_iters, self.last_epoch + 1) / self.total_iters", "closed form one epoch ahead"),
    # CosineAnnealingLR
    ("cosine_closed_off_by_one", ("CosineAnnealingLR",), LR, "CosineAnnealingLR._get_closed_form_lr",
     "math.pi * self.last_epoch / self.T_max", "math.pi * (self.last_epoch + 1) / self.T_max",
     "closed form one epoch ahead"),
    ("cosine_resume_branch_off", ("CosineAnnealingLR",), LR, "CosineAnnealingLR.get_lr",
     "elif self._step_count == 1 and self.last_epoch > 0:", "elif self._step_count == 1 and self.last_epoch > 1:",
     "the last_epoch resume branch misses last_epoch=1"),
    # SequentialLR / ChainedScheduler
    ("sequential_switch_late", ("SequentialLR",), LR, "SequentialLR.step",
     "idx = bisect_right(self._milestones, self.last_epoch)", "idx = bisect_left(self._milestones, self.last_epoch)",
     "switches to the next scheduler one step late"),
    ("sequential_drops_children", ("SequentialLR",), LR, "SequentialLR.state_dict",
     'state_dict["_schedulers"][idx] = s.state_dict()', 'state_dict["_schedulers"][idx] = {}',
     "children's states are not saved"),
    ("sequential_load_mutates_input", ("SequentialLR",), LR, "SequentialLR.load_state_dict",
     'state_dict["_schedulers"] = _schedulers', "pass", "load_state_dict leaves _schedulers popped"),
    ("chained_drops_children", ("ChainedScheduler",), LR, "ChainedScheduler.state_dict",
     'state_dict["_schedulers"][idx] = s.state_dict()', 'state_dict["_schedulers"][idx] = {}',
     "children's states are not saved"),
    ("chained_load_mutates_input", ("ChainedScheduler",), LR, "ChainedScheduler.load_state_dict",
     'state_dict["_schedulers"] = _schedulers', "pass", "load_state_dict leaves _schedulers popped"),
    # ReduceLROnPlateau
    ("plateau_patience_ge", ("ReduceLROnPlateau",), LR, "ReduceLROnPlateau.step",
     "if self.num_bad_epochs > self.patience:", "if self.num_bad_epochs >= self.patience:",
     "reduces after patience bad epochs instead of more than patience"),
    ("plateau_cooldown_long", ("ReduceLROnPlateau",), LR, "ReduceLROnPlateau.step",
     "self.cooldown_counter = self.cooldown", "self.cooldown_counter = self.cooldown + 1",
     "cools down one epoch too long"),
    ("plateau_counts_bad_in_cooldown", ("ReduceLROnPlateau",), LR, "ReduceLROnPlateau.step",
     "self.num_bad_epochs = 0  # ignore any bad epochs in cooldown", "pass", "bad epochs in cooldown count"),
    ("plateau_threshold_sign", ("ReduceLROnPlateau",), LR, "ReduceLROnPlateau._is_better",
     "rel_epsilon = 1.0 - self.threshold", "rel_epsilon = 1.0 + self.threshold", "rel threshold in min mode flipped"),
    # CyclicLR
    ("cyclic_momentum_not_cycled_back", ("CyclicLR",), LR, "CyclicLR.get_lr",
     'param_group["momentum"] = momentum', 'param_group["momentum"] = min(momentum, param_group["momentum"])',
     "momentum goes down but never back up"),
    ("cyclic_cycle_off_by_one", ("CyclicLR",), LR, "CyclicLR.get_lr",
     "cycle = math.floor(1 + self.last_epoch / self.total_size)",
     "cycle = math.floor(1 + (self.last_epoch + 1) / self.total_size)", "the cycle number is one step ahead"),
    ("cyclic_scale_fn_not_saved", ("CyclicLR",), LR, "CyclicLR.state_dict",
     'state["_scale_fn_custom"] = fn.__dict__.copy()', "pass", "a scale_fn object's __dict__ is not saved"),
    # CosineAnnealingWarmRestarts
    ("warm_restarts_T_i_not_multiplied", ("CosineAnnealingWarmRestarts",), LR, "CosineAnnealingWarmRestarts.step",
     "self.T_i = self.T_i * self.T_mult", "self.T_i = self.T_i", "the period never grows"),
    ("warm_restarts_restart_late", ("CosineAnnealingWarmRestarts",), LR, "CosineAnnealingWarmRestarts.step",
     "if self.T_cur >= self.T_i:", "if self.T_cur > self.T_i:", "restarts one step late"),
    ("warm_restarts_epoch_form_period", ("CosineAnnealingWarmRestarts",), LR, "CosineAnnealingWarmRestarts.step",
     "self.T_i = self.T_0 * self.T_mult ** (n)", "self.T_i = self.T_0 * self.T_mult ** (n + 1)",
     "step(epoch) picks the next period"),
    # OneCycleLR
    ("onecycle_phase_boundary", ("OneCycleLR",), LR, "OneCycleLR.get_lr",
     "if step_num <= end_step or", "if step_num < end_step or", "phase boundary one step early"),
    # SWALR
    ("swalr_anneal_ahead", ("SWALR",), SWA, "SWALR.get_lr",
     "t = max(0, min(1, step / max(1, self.anneal_epochs)))",
     "t = max(0, min(1, (step + 1) / max(1, self.anneal_epochs)))", "anneal one step ahead"),
    ("swalr_zero_anneal_late", ("SWALR",), SWA, "SWALR.get_lr",
     "step = max(1, step)", "step = max(0, step)", "anneal_epochs=0 reaches swa_lr one step late"),
    ("swalr_drops_step_count", ("SWALR",), SWA, "SWALR.state_dict",
     'if key not in ("optimizer", "anneal_func")', 'if key not in ("optimizer", "anneal_func", "_step_count")',
     "state_dict forgets _step_count"),
]

MUTANTS = {m[0]: Mutant(*m) for m in _RAW}
