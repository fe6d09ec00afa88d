"""Keras layer semantics in float64 torch, one function per layer class.

Every function takes (ctx, cfg, weights, inputs, masks) and returns
(outputs, out_masks). Tensors keep Keras' own layout (batch first, channels
where data_format / dim_ordering puts them). Keras 1 argument names are read
beside Keras 2/3 ones. Weights arrive as float64 numpy arrays in the order
the file stores them.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

T = torch.float64


class Unsupported(Exception):
    """The file needs something this interpreter does not implement."""


def t(a):
    return torch.as_tensor(np.asarray(a), dtype=T)


def set_dtype(dtype):
    """Switches every layer to dtype: float64 for references, float32 only to
    measure how far a float32 evaluation of the same math drifts."""
    global T
    import rnn

    T = rnn.T = dtype


# ---------------------------------------------------------------- activations


def hard_sigmoid(x, ctx):
    if ctx.major >= 3:
        return F.relu6(x + 3.0) / 6.0
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def activation(name, x, ctx):
    if isinstance(name, dict):  # Keras 3 serialised activation
        name = name.get("config", {}).get("name", name.get("class_name"))
    if name in (None, "linear"):
        return x
    fns = {
        "relu": torch.relu,
        "relu6": F.relu6,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "elu": F.elu,
        "selu": lambda v: 1.0507009873554804934193349852946 * torch.where(v > 0, v, 1.6732632423543772848170429916717 * (torch.exp(v) - 1)),
        "softplus": F.softplus,
        "softsign": lambda v: v / (1 + torch.abs(v)),
        "exponential": torch.exp,
        "swish": lambda v: v * torch.sigmoid(v),
        "silu": lambda v: v * torch.sigmoid(v),
        "gelu": lambda v: 0.5 * v * (1 + torch.erf(v / math.sqrt(2))),
        "hard_sigmoid": lambda v: hard_sigmoid(v, ctx),
        "softmax": lambda v: torch.softmax(v, dim=-1),
    }
    if name not in fns:
        raise Unsupported("activation %r" % name)
    return fns[name](x)


# ---------------------------------------------------------------- helpers


def tup(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n


def channels_first(cfg, ctx):
    df = cfg.get("data_format")
    if df is None:
        df = {"th": "channels_first", "tf": "channels_last"}.get(cfg.get("dim_ordering"), "channels_last")
    return df == "channels_first"


def padding_of(cfg):
    return cfg.get("padding", cfg.get("border_mode", "valid"))


def same_pads(size, k, s, d):
    """TensorFlow's SAME padding: (before, after) for one spatial axis."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def to_ncx(x, cf):
    """Keras layout to torch's (N, C, spatial...)."""
    if cf:
        return x
    nd = x.dim()
    return x.permute(0, nd - 1, *range(1, nd - 1))


def from_ncx(x, cf):
    if cf:
        return x
    nd = x.dim()
    return x.permute(0, *range(2, nd), 1)


def pad_spatial(x, pads, value=0.0):
    """x in (N, C, spatial...); pads a list of (before, after) per spatial axis."""
    flat = []
    for b, a in reversed(pads):
        flat += [b, a]
    if not any(flat):
        return x
    return F.pad(x, flat, value=value)


def conv_pads(padding, spatial, ks, ss, ds):
    if padding == "valid":
        return [(0, 0)] * len(ks)
    if padding == "same":
        return [same_pads(n, k, s, d) for n, k, s, d in zip(spatial, ks, ss, ds)]
    if padding == "causal":
        return [((ks[0] - 1) * ds[0], 0)]
    raise Unsupported("padding %r" % padding)


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def conv_nd(ctx, x, kernel, bias, nd, cfg, groups=1, torch_kernel=False, flip=False):
    """Keras ConvND: kernel in Keras layout (spatial..., in, out) unless
    torch_kernel; flip turns a Theano convolution kernel into a correlation one."""
    cf = channels_first(cfg, ctx)
    ks = kernel.shape[2:] if torch_kernel else kernel.shape[:nd]
    ss = tup(cfg.get("strides", cfg.get("subsample", 1)), nd)
    if "subsample_length" in cfg:
        ss = (cfg["subsample_length"],)
    ds = tup(cfg.get("dilation_rate", 1), nd)
    w = t(kernel)
    if not torch_kernel:
        w = w.permute(nd + 1, nd, *range(nd))
    if flip:
        w = torch.flip(w, dims=list(range(2, 2 + nd)))
    xc = to_ncx(x, cf)
    pads = conv_pads(padding_of(cfg), xc.shape[2:], ks, ss, ds)
    xc = pad_spatial(xc, pads)
    y = CONV[nd](xc, w, None if bias is None else t(bias), stride=ss, dilation=ds, groups=groups)
    return from_ncx(y, cf)


def use_bias(cfg):
    return cfg.get("use_bias", cfg.get("bias", True))


# ---------------------------------------------------------------- core layers


def dense(ctx, cfg, w, xs, ms):
    y = xs[0] @ t(w[0])
    if use_bias(cfg) and len(w) > 1:
        y = y + t(w[1])
    return [activation(cfg.get("activation"), y, ctx)], ms


def act_layer(ctx, cfg, w, xs, ms):
    return [activation(cfg["activation"], xs[0], ctx)], ms


def identity(ctx, cfg, w, xs, ms):
    return [xs[0]], ms


def flatten(ctx, cfg, w, xs, ms):
    x = xs[0]
    if cfg.get("data_format") == "channels_first" and x.dim() > 2:
        x = x.permute(0, *range(2, x.dim()), 1)
    return [x.reshape(x.shape[0], -1)], [None]


def reshape(ctx, cfg, w, xs, ms):
    x = xs[0]
    return [x.reshape(x.shape[0], *cfg["target_shape"])], [None]


def permute(ctx, cfg, w, xs, ms):
    return [xs[0].permute(0, *cfg["dims"])], ms


def repeat_vector(ctx, cfg, w, xs, ms):
    return [xs[0].unsqueeze(1).repeat(1, cfg["n"], 1)], [None]


def batchnorm(ctx, cfg, w, xs, ms):
    x = xs[0]
    axis = cfg.get("axis", -1)
    if isinstance(axis, list):
        if len(axis) != 1:
            raise Unsupported("BatchNormalization over several axes")
        axis = axis[0]
    if ctx.major == 1 and cfg.get("mode", 0) != 0:
        raise Unsupported("Keras 1 BatchNormalization mode %r" % cfg.get("mode"))
    axis = axis % x.dim()
    w = list(w)
    gamma = w.pop(0) if cfg.get("scale", True) else None
    beta = w.pop(0) if cfg.get("center", True) else None
    mean, var = w[0], w[1]
    shape = [1] * x.dim()
    shape[axis] = -1
    r = lambda a: t(a).reshape(shape)
    y = (x - r(mean)) / torch.sqrt(r(var) + cfg.get("epsilon", 1e-3))
    if gamma is not None:
        y = y * r(gamma)
    if beta is not None:
        y = y + r(beta)
    return [y], ms


def embedding(ctx, cfg, w, xs, ms):
    idx = xs[0].round().long()
    y = t(w[0])[idx]
    m = (idx != 0) if cfg.get("mask_zero", False) else None
    return [y], [m]


def masking(ctx, cfg, w, xs, ms):
    x = xs[0]
    keep = torch.any(x != cfg.get("mask_value", 0.0), dim=-1)
    return [x * keep.unsqueeze(-1).to(T)], [keep]


# ---------------------------------------------------------------- activations as layers


def leaky_relu(ctx, cfg, w, xs, ms):
    a = cfg.get("alpha", cfg.get("negative_slope", 0.3))
    return [F.leaky_relu(xs[0], a)], ms


def prelu(ctx, cfg, w, xs, ms):
    x = xs[0]
    alpha = t(w[0])
    return [torch.clamp(x, min=0) + alpha * torch.clamp(x, max=0)], ms


def elu_layer(ctx, cfg, w, xs, ms):
    return [F.elu(xs[0], cfg.get("alpha", 1.0))], ms


def thresholded_relu(ctx, cfg, w, xs, ms):
    x = xs[0]
    return [x * (x > cfg.get("theta", 1.0)).to(T)], ms


def softmax_layer(ctx, cfg, w, xs, ms):
    return [torch.softmax(xs[0], dim=cfg.get("axis", -1))], ms


def relu_layer(ctx, cfg, w, xs, ms):
    x = xs[0]
    mv = cfg.get("max_value")
    ns = cfg.get("negative_slope", 0.0) or 0.0
    th = cfg.get("threshold", 0.0) or 0.0
    y = torch.where(x >= th, x, ns * (x - th))
    if mv is not None:
        y = torch.clamp(y, max=mv)
    return [y], ms


# ---------------------------------------------------------------- convolutions


def conv(nd):
    def f(ctx, cfg, w, xs, ms):
        k = w[0]
        if ctx.major == 1:
            k = keras1_kernel(k, nd, cfg)
        b = w[1] if use_bias(cfg) and len(w) > 1 else None
        groups = cfg.get("groups", 1)
        # Keras' loader flips the kernels of Conv1D/2D/3D (only) saved by Theano
        y = conv_nd(ctx, xs[0], k, b, nd, cfg, groups=groups, flip=ctx.theano)
        return [activation(cfg.get("activation"), y, ctx)], [None]

    return f


def keras1_kernel(k, nd, cfg):
    """Keras 1 kernels to Keras 2 layout (spatial..., in, out)."""
    if nd == 1:  # Convolution1D is stored as (length, 1, in, out)
        return k.reshape(k.shape[0], k.shape[2], k.shape[3])
    if cfg.get("dim_ordering") == "th":  # (out, in, rows, cols)
        return np.transpose(k, (2, 3, 1, 0))
    return k


def depthwise(ctx, cfg, w, xs, ms):
    k = w[0]  # (kh, kw, in, mult)
    kh, kw, cin, mult = k.shape
    tk = t(k).reshape(kh, kw, cin * mult).permute(2, 0, 1).unsqueeze(1)
    b = w[1] if use_bias(cfg) and len(w) > 1 else None
    y = conv_nd(ctx, xs[0], tk.numpy(), b, 2, cfg, groups=cin, torch_kernel=True)
    return [activation(cfg.get("activation"), y, ctx)], [None]


def separable(nd):
    def f(ctx, cfg, w, xs, ms):
        dk, pk = w[0], w[1]
        cin, mult = dk.shape[-2], dk.shape[-1]
        ks = dk.shape[:nd]
        tk = t(dk).reshape(*ks, cin * mult).permute(nd, *range(nd)).unsqueeze(1)
        y = conv_nd(ctx, xs[0], tk.numpy(), None, nd, cfg, groups=cin, torch_kernel=True)
        pcfg = dict(cfg, strides=1, padding="valid", dilation_rate=1)
        b = w[2] if use_bias(cfg) and len(w) > 2 else None
        y = conv_nd(ctx, y, pk, b, nd, pcfg)
        return [activation(cfg.get("activation"), y, ctx)], [None]

    return f


def locally_connected2d(ctx, cfg, w, xs, ms):
    """tf.keras local_conv, implementation 1: each output position has its own
    (kh*kw*C, filters) kernel; a patch flattens in the input's own axis order."""
    cf = channels_first(cfg, ctx)
    if padding_of(cfg) != "valid" or cfg.get("implementation", 1) != 1:
        raise Unsupported("LocallyConnected2D other than valid padding, implementation 1")
    x = xs[0].permute(0, 2, 3, 1) if cf else xs[0]
    kh, kw = tup(cfg["kernel_size"], 2)
    sh, sw = tup(cfg.get("strides", 1), 2)
    n, H, W, C = x.shape
    oh, ow = (H - kh) // sh + 1, (W - kw) // sw + 1
    kernel = t(w[0])  # (oh*ow, kh*kw*C, filters)
    f = kernel.shape[-1]
    out = torch.zeros(n, oh, ow, f, dtype=T)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            if cf:  # channels_first patches flatten as (C, kh, kw)
                patch = patch.permute(0, 3, 1, 2)
            out[:, i, j, :] = patch.reshape(n, -1) @ kernel[i * ow + j]
    if cf:
        out = out.permute(0, 3, 1, 2)
    if use_bias(cfg) and len(w) > 1:
        b = t(w[1])  # (oh, ow, filters) either way
        # backend.bias_add reshapes (not transposes) a 3-D bias for channels_first
        out = out + (b.reshape(f, oh, ow) if cf else b)
    return [activation(cfg.get("activation"), out, ctx)], [None]


# ---------------------------------------------------------------- pooling


def pool(nd, kind):
    def f(ctx, cfg, w, xs, ms):
        cf = channels_first(cfg, ctx)
        if "pool_length" in cfg:  # Keras 1 1D pooling
            ps = (cfg["pool_length"],)
            ss = (cfg.get("stride") or cfg["pool_length"],)
        else:
            ps = tup(cfg.get("pool_size", 2), nd)
            ss = cfg.get("strides") or ps
            ss = tup(ss, nd)
        xc = to_ncx(xs[0], cf)
        pads = conv_pads(padding_of(cfg), xc.shape[2:], ps, ss, (1,) * nd)
        if kind == "max":
            xp = pad_spatial(xc, pads, value=-math.inf)
            y = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[nd](xp, ps, ss)
        else:  # TensorFlow averages only over the unpadded window
            ap = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[nd]
            s = ap(pad_spatial(xc, pads), ps, ss)
            cnt = ap(pad_spatial(torch.ones_like(xc[:1, :1]), pads), ps, ss)
            y = s / cnt
        return [from_ncx(y, cf)], [None]

    return f


def global_pool(nd, kind):
    def f(ctx, cfg, w, xs, ms):
        x = xs[0]
        cf = channels_first(cfg, ctx)
        axes = list(range(2, 2 + nd)) if cf else list(range(1, 1 + nd))
        keep = cfg.get("keepdims", False)
        m = ms[0] if ms else None
        if kind == "avg":
            if m is not None and nd == 1 and not cf:
                mm = m.to(T).unsqueeze(-1)
                y = (x * mm).sum(1, keepdim=keep) / mm.sum(1, keepdim=keep)
            else:
                y = x.mean(dim=axes, keepdim=keep)
        else:
            y = x.amax(dim=axes, keepdim=keep)
        return [y], [None]

    return f


# ---------------------------------------------------------------- shape layers


def spatial_pairs(v, nd):
    if isinstance(v, int):
        return [(v, v)] * nd
    out = []
    for p in v:
        out.append(tuple(p) if isinstance(p, (list, tuple)) else (p, p))
    if len(out) == 2 * nd and all(isinstance(p, int) for p in v):  # Keras 1 4-tuple
        out = [(v[2 * i], v[2 * i + 1]) for i in range(nd)]
    return out


def zero_padding(nd):
    def f(ctx, cfg, w, xs, ms):
        cf = channels_first(cfg, ctx) if nd > 1 else False
        pads = spatial_pairs(cfg.get("padding", 1), nd)
        xc = to_ncx(xs[0], cf)
        return [from_ncx(pad_spatial(xc, pads), cf)], [None]

    return f


def cropping(nd):
    def f(ctx, cfg, w, xs, ms):
        cf = channels_first(cfg, ctx) if nd > 1 else False
        crops = spatial_pairs(cfg.get("cropping", 0), nd)
        xc = to_ncx(xs[0], cf)
        sl = [slice(None), slice(None)]
        for (b, a), n in zip(crops, xc.shape[2:]):
            sl.append(slice(b, n - a))
        return [from_ncx(xc[tuple(sl)], cf)], [None]

    return f


def upsampling(nd):
    def f(ctx, cfg, w, xs, ms):
        cf = channels_first(cfg, ctx) if nd > 1 else False
        size = tup(cfg.get("size", cfg.get("length", 2)), nd)
        interp = cfg.get("interpolation", "nearest")
        y = to_ncx(xs[0], cf)
        if interp == "bilinear" and nd == 2 and ctx.version >= (2, 4):
            # tf.image.resize (TF 2; the files of tf.keras 2.4 on): half-pixel
            # centres, which is torch's align_corners=False
            out = [n * s for n, s in zip(y.shape[2:], size)]
            return [from_ncx(F.interpolate(y, size=out, mode="bilinear", align_corners=False), cf)], [None]
        if interp != "nearest":
            raise Unsupported("UpSampling interpolation %r" % interp)
        for i, s in enumerate(size):
            y = torch.repeat_interleave(y, s, dim=2 + i)
        return [from_ncx(y, cf)], [None]

    return f


# ---------------------------------------------------------------- merges


def merge(op):
    def f(ctx, cfg, w, xs, ms):
        if op == "concat":
            axis = cfg.get("axis", cfg.get("concat_axis", -1))
            y = torch.cat(xs, dim=axis)
        elif op == "dot":
            raise Unsupported("Dot")
        else:
            y = xs[0]
            for x in xs[1:]:
                if op == "add":
                    y = y + x
                elif op == "sub":
                    y = y - x
                elif op == "mul":
                    y = y * x
                elif op == "max":
                    y = torch.maximum(y, x)
                elif op == "min":
                    y = torch.minimum(y, x)
                elif op == "avg":
                    y = y + x
            if op == "avg":
                y = y / len(xs)
        m = None
        if op != "concat":  # the inputs' masks, joined
            for mm in ms:
                if mm is not None:
                    m = mm if m is None else (m & mm)
        return [y], [m]

    return f


def attention(ctx, cfg, w, xs, ms):
    if cfg.get("score_mode", "dot") != "dot" or cfg.get("use_scale") or cfg.get("causal"):
        raise Unsupported("Attention other than plain dot scores")
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v
    # on 2-D inputs this is TensorFlow's plain matmul, which mixes the batch
    scores = q @ k.transpose(-1, -2)
    vm = ms[1] if len(ms) > 1 else None
    if vm is not None:
        scores = scores - 1e9 * (~vm).unsqueeze(-2).to(T)
    y = torch.softmax(scores, dim=-1) @ v
    return [y], [ms[0] if ms else None]


# ---------------------------------------------------------------- TensorFlowOpLayer


def tf_op_layer(ctx, cfg, w, xs, ms):
    nd = cfg["node_def"]
    op = nd["op"]
    consts = cfg.get("constants", {})
    if op == "Transpose":
        return [xs[0].permute(*consts["1"])], [None]
    if op == "Reshape":
        return [xs[0].reshape(*consts["1"])], [None]
    raise Unsupported("TensorFlowOpLayer op %r" % op)
