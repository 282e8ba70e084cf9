"""Batch normalisation layers: BatchNorm1d and BatchNorm2d, with PyTorch's constructor
arguments, parameters, buffers (so state_dicts move between the two), modes and repr."""
from .. import dtypes
from ..factories import empty, ones, tensor, zeros
from ..grad_mode import no_grad
from . import init
from .functional_norm import batch_norm
from .module import Module, Parameter


class _BatchNorm(Module):
    """Normalise each channel (dim 1) over the batch and any trailing dims, then scale
    by ``weight`` and shift by ``bias`` (when ``affine``).

    Training uses the batch's statistics and, with ``track_running_stats``, moves
    ``running_mean``/``running_var`` towards them by ``momentum`` (``None``: their
    cumulative average); evaluation uses the running statistics.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = dtypes.to_dtype(dtype) or dtypes.default_float
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dtype, device=device))
            if bias:   # PyTorch 2.x's keyword-only bias=False: scale without a shift
                self.bias = Parameter(empty(num_features, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            # an int64 count, as PyTorch saves it: checkpoints load both ways
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype=dtypes.int64, device=device))
        else:   # registered as None (as PyTorch does): not in the state_dict
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches counted."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Reset the running stats, weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):  # noqa: A002
        raise NotImplementedError

    def forward(self, input):  # noqa: A002
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        counting = (self.training and self.track_running_stats
                    and self.num_batches_tracked is not None)
        if counting and self.momentum is None:   # cumulative average: batch k weighs 1/k
            factor = 1.0 / (float(self.num_batches_tracked.item()) + 1.0)
        # eval without running stats (track_running_stats=False) uses the batch's
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        # the buffers are updated only when tracked and training
        keep = not self.training or self.track_running_stats
        out = batch_norm(input, self.running_mean if keep else None,
                         self.running_var if keep else None, self.weight, self.bias,
                         use_batch, factor, self.eps)
        if counting:   # counted after batch_norm's checks: a refused batch changes nothing
            with no_grad():
                self.num_batches_tracked.add_(1)
        return out

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C."""

    def _check_input_dim(self, input):  # noqa: A002
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C."""

    def _check_input_dim(self, input):  # noqa: A002
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")
