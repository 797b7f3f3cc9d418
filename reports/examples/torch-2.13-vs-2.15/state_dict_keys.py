"""Print the state_dict layout of every built-in scheduler (and of the optimizers' param groups).

Needs only torch. Run it under each torch and diff the outputs:

    python state_dict_keys.py > keys-2.13.txt      # in the torch 2.13 venv
    python state_dict_keys.py > keys-2.15.txt      # in the torch 2.15 venv
    diff keys-2.13.txt keys-2.15.txt

Each scheduler is built on an SGD with momentum (for the momentum cyclers) and two
param groups, stepped 3 times, and its state_dict walked: each key with its value
type, nested dicts and lists included. Then each optimizer's param-group keys
(the hyperparameters an optimizer state_dict carries). The torch version line is
the only line that differs when the layout is unchanged.
"""

import math

import torch
from torch.optim import lr_scheduler as L
from torch.optim.swa_utils import SWALR


def opt(cls=torch.optim.SGD, **kw):
    p = torch.nn.Parameter(torch.zeros(2, 2))  # 2-D, so that Muon accepts it
    q = torch.nn.Parameter(torch.zeros(2, 2))
    kw.setdefault("lr", 0.1)
    if cls is torch.optim.SGD:
        kw.setdefault("momentum", 0.9)
    return cls([{"params": [p]}, {"params": [q], "lr": 0.05}], **kw)


class Halve:  # a callable object: LambdaLR saves its __dict__
    def __init__(self):
        self.gamma = 0.5

    def __call__(self, e):
        return self.gamma ** e


def halve(e):  # a plain function: not saved
    return 0.5 ** e


def scale(x):
    return 1.0 / (2.0 ** (x - 1))


BUILD = {
    "LambdaLR": lambda o: L.LambdaLR(o, [Halve(), halve]),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda o: L.StepLR(o, 2, 0.5),
    "MultiStepLR": lambda o: L.MultiStepLR(o, [1, 3], 0.5),
    "ConstantLR": lambda o: L.ConstantLR(o, 0.5, 2),
    "LinearLR": lambda o: L.LinearLR(o, 0.5, 1.0, 4),
    "ExponentialLR": lambda o: L.ExponentialLR(o, 0.9),
    "SequentialLR": lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 1), L.ExponentialLR(o, 0.9)], [2]),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 5),
    "ChainedScheduler": lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 2), L.ExponentialLR(o, 0.9)]),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o, patience=0),
    "CyclicLR": lambda o: L.CyclicLR(o, 0.01, 0.1, 2),
    "CyclicLR(scale_fn)": lambda o: L.CyclicLR(o, 0.01, 0.1, 2, scale_fn=scale),
    "OneCycleLR": lambda o: L.OneCycleLR(o, 1.0, total_steps=10),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 2, 2),
    "PolynomialLR": lambda o: L.PolynomialLR(o, 4, 2.0),
    "SWALR": lambda o: SWALR(o, 0.05, anneal_epochs=3),
}


OPTIMIZERS = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "Muon",
              "NAdam", "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam"]


def describe(v):
    t = type(v).__name__
    if isinstance(v, torch.Tensor):
        return f"Tensor[{v.dtype}]"
    if isinstance(v, dict):
        return "dict{" + ", ".join(f"{k}: {describe(x)}" for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(v, (list, tuple)):
        inner = sorted({describe(x) for x in v})
        return f"{t}[{' | '.join(inner)}]"
    if callable(v):
        return "callable"
    return t


def main():
    print("torch", torch.__version__)
    for name, build in BUILD.items():
        o = opt()
        s = build(o)
        for i in range(3):
            o.step()
            s.step(1.0) if isinstance(s, L.ReduceLROnPlateau) else s.step()
        sd = s.state_dict()
        print(f"\n{name}  ({len(sd)} keys)")
        for k in sorted(sd):
            print(f"  {k}: {describe(sd[k])}")
    print()
    for name in sorted(OPTIMIZERS):
        cls = getattr(torch.optim, name, None)
        if cls is None:
            print(f"optimizer {name}: not in this torch")
            continue
        o = cls([torch.nn.Parameter(torch.zeros(2, 2))], lr=0.1)  # LBFGS allows one group only
        print(f"optimizer {name} param_group keys: {sorted(k for k in o.param_groups[0] if k != 'params')}")


if __name__ == "__main__":
    main()
