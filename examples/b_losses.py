"""Curriculum B: the loss functions, with the numbers PyTorch prints, and the same
losses written by hand with numpy.

Run: python examples/b_losses.py
"""
import numpy as np
from _common import parser

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn


def regression_losses():
    print("== Regression losses ==")
    y_true = tg.tensor([3.0, 5.0, 2.5])
    y_pred = tg.tensor([4.5, 5.0, 2.0])
    # .item() gives the float32 result as a Python float: all its digits show.
    print("L1Loss       ", nn.L1Loss()(y_pred, y_true).item())        # mean |d|
    print("MSELoss      ", nn.MSELoss()(y_pred, y_true).item())       # mean d^2
    # SmoothL1: 0.5 d^2 where |d| < 1, |d| - 0.5 elsewhere (less hurt by outliers)
    print("SmoothL1Loss ", nn.SmoothL1Loss()(y_pred, y_true).item())
    print("F.smooth_l1_loss", F.smooth_l1_loss(y_pred, y_true).item())


def cross_entropy_losses():
    print("\n== CrossEntropyLoss: raw scores in, class indices as targets ==")
    loss = nn.CrossEntropyLoss()  # applies log_softmax itself: give it scores, not probs
    scores = tg.tensor([[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]])
    print("targets [0, 1]:", loss(scores, tg.tensor([0, 1])).item())
    # Targets the scores do not favour cost more (one tutorial prints this value
    # beside the first targets by mistake; the mathematics gives it for [1, 2]).
    print("targets [1, 2]:", loss(scores, tg.tensor([1, 2])).item())

    cases = [
        ("one sample, good", [[2.0, 1.0, 0.1]], [0]),
        ("one sample, bad ", [[0.5, 2.0, 0.3]], [0]),
        ("three, good", [[2.0, 1.0, 2.1], [2.0, 1.0, 0.1], [2.0, 3.0, 0.1]], [2, 0, 1]),
        ("three, bad ", [[0.5, 2.0, 0.3]] * 3, [2, 0, 1]),
    ]
    for what, s, target in cases:
        s = tg.tensor(s)
        value = loss(s, tg.tensor(target)).item()
        _, predictions = tg.max(s, 1)  # (values, indices): the index is the class
        print(f"{what}: loss {value:.4f}  predictions {predictions.tolist()}"
              f"  targets {target}")


def bce_loss():
    print("\n== BCELoss: probabilities in (after a sigmoid), 0/1 targets ==")
    probs = tg.tensor([[0.1], [0.2], [0.7]])
    targets = tg.tensor([[1.0], [0.0], [1.0]])
    print("BCELoss", nn.BCELoss()(probs, targets).item())


# The from-scratch lesson's losses, for one sample of 10 class probabilities.
def sum_squares_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    delta = 1e-7  # log(0) would be -inf
    return -np.sum(t * np.log(y + delta))


def by_hand():
    print("\n== By hand with numpy, and the same quantities with tg ==")
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=np.float64)  # class 2, one-hot
    y1 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])  # peaked on 2
    y2 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])  # peaked on 7
    for name, y in (("y1 (right)", y1), ("y2 (wrong)", y2)):
        sse, cee = sum_squares_error(y, t), cross_entropy_error(y, t)
        print(f"{name}: sum of squares {sse:.4f}   cross entropy {float(cee)!r}")
        yt, tt = tg.tensor(y), tg.tensor(t)  # float64, like the numpy arrays
        # MSELoss takes the mean over the 10 entries, the lesson half the sum:
        # 0.5 * sum = 0.5 * 10 * mean.
        mse_sum = F.mse_loss(yt, tt, reduction="sum").item()
        print(f"   tg: 0.5 * mse_loss(reduction='sum') = {0.5 * mse_sum:.4f}, "
              f"mse_loss (mean) = {F.mse_loss(yt, tt).item():.4f}")
        # With a one-hot t the sum keeps one term, -log(y[2] + delta): nll_loss on the
        # log-probabilities of one sample (a batch of 1) with target class 2.
        logp = (yt + 1e-7).log().unsqueeze(0)
        print(f"   tg: nll_loss(log(y + 1e-7), [2]) = {F.nll_loss(logp, tg.tensor([2])).item()!r}")
        # cross_entropy wants raw scores; log-probabilities are valid scores, because
        # log_softmax(log y) = log y when y sums to 1 (here without the 1e-7; the
        # log(0) = -inf entries are fine, they just get probability 0).
        ce = F.cross_entropy(yt.log().unsqueeze(0), tg.tensor([2])).item()
        print(f"   tg: cross_entropy(log y, [2]) = {ce:.6f}")


def main(argv=None):
    parser(__doc__).parse_args(argv)  # --quick changes nothing: this is instant
    regression_losses()
    cross_entropy_losses()
    bce_loss()
    by_hand()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
