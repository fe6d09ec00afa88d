"""Recurrent layers with Keras semantics: SimpleRNN, LSTM, GRU, ConvLSTM2D,
Bidirectional, TimeDistributed. Masks follow Keras' backend.rnn: a masked
step keeps the states and repeats the previous output (or emits zeros when
zero_output_for_mask, which Bidirectional sets with return_sequences)."""

import numpy as np
import torch

from layers import T, Unsupported, activation, conv_nd, t, tup


def _split_keras1(names, arrays, gates):
    """Keras 1's per-gate arrays (W_i, U_i, b_i, ...) joined in Keras 2 order."""
    by = {}
    for n, a in zip(names, arrays):
        base = n.split(":")[0]
        for g in gates:
            for kind in ("W", "U", "b"):
                if base.endswith("_%s_%s" % (kind, g)):
                    by[(kind, g)] = a
    if len(by) != 3 * len(gates):
        raise Unsupported("Keras 1 recurrent weights %r" % names)
    return [np.concatenate([by[(k, g)] for g in gates], axis=-1) for k in ("W", "U", "b")]


def recurrent_weights(ctx, cls, cfg, names, arrays):
    """kernel, recurrent_kernel, bias (or None) in Keras 2 gate order."""
    gates = {"LSTM": ["i", "f", "c", "o"], "GRU": ["z", "r", "h"]}.get(cls)
    if gates and len(arrays) == 3 * len(gates):
        return _split_keras1(names, arrays, gates)
    use_bias = cfg.get("use_bias", cfg.get("bias", True))
    k, rk = arrays[0], arrays[1]
    b = arrays[2] if use_bias and len(arrays) > 2 else None
    return [k, rk, b]


def _rec_act(cfg):
    return cfg.get("recurrent_activation", cfg.get("inner_activation", "hard_sigmoid"))


def _units(cfg):
    return cfg.get("units", cfg.get("output_dim", cfg.get("filters")))


def run_rnn(ctx, cls, cfg, names, arrays, x, mask, zero_output_for_mask=False):
    """Runs one recurrent layer over x (N, T, ...) and returns (output, mask)."""
    k, rk, b = recurrent_weights(ctx, cls, cfg, names, arrays)
    act = cfg.get("activation", "tanh")
    ract = _rec_act(cfg)
    u = _units(cfg)
    n, steps = x.shape[0], x.shape[1]
    go_back = cfg.get("go_backwards", False)
    order = list(range(steps))[::-1] if go_back else list(range(steps))
    if cls == "ConvLSTM2D":
        step, state = _convlstm_step(ctx, cfg, k, rk, b, x)
    else:
        K, RK = t(k), t(rk)
        B = None if b is None else t(b)
        h0 = torch.zeros(n, u, dtype=T)
        if cls == "SimpleRNN":
            state = [h0]

            def step(xt, st):
                z = xt @ K + st[0] @ RK
                if B is not None:
                    z = z + B
                h = activation(act, z, ctx)
                return h, [h]
        elif cls == "LSTM":
            state = [h0, h0.clone()]

            def step(xt, st):
                h, c = st
                z = xt @ K + h @ RK
                if B is not None:
                    z = z + B
                i = activation(ract, z[:, :u], ctx)
                f = activation(ract, z[:, u:2 * u], ctx)
                cc = activation(act, z[:, 2 * u:3 * u], ctx)
                o = activation(ract, z[:, 3 * u:], ctx)
                c = f * c + i * cc
                h = o * activation(act, c, ctx)
                return h, [h, c]
        elif cls == "GRU":
            state = [h0]
            reset_after = cfg.get("reset_after", False)
            if reset_after:
                bi, br = (B[0], B[1]) if B is not None else (0, 0)
            else:
                bi, br = (B if B is not None else 0), 0

            def step(xt, st):
                h = st[0]
                xz = xt @ K + bi
                if reset_after:
                    hz = h @ RK + br
                    z = activation(ract, xz[:, :u] + hz[:, :u], ctx)
                    r = activation(ract, xz[:, u:2 * u] + hz[:, u:2 * u], ctx)
                    hh = activation(act, xz[:, 2 * u:] + r * hz[:, 2 * u:], ctx)
                else:
                    z = activation(ract, xz[:, :u] + h @ RK[:, :u], ctx)
                    r = activation(ract, xz[:, u:2 * u] + h @ RK[:, u:2 * u], ctx)
                    hh = activation(act, xz[:, 2 * u:] + (r * h) @ RK[:, 2 * u:], ctx)
                h = z * h + (1 - z) * hh
                return h, [h]
        else:
            raise Unsupported("recurrent layer %s" % cls)
    outs = []
    prev = torch.zeros_like(state[0])
    for ti in order:
        y, new = step(x[:, ti], state)
        if mask is not None:
            m = mask[:, ti].to(T).reshape(-1, *([1] * (y.dim() - 1)))
            new = [m * a + (1 - m) * s for a, s in zip(new, state)]
            y = m * y + (1 - m) * (torch.zeros_like(y) if zero_output_for_mask else prev)
        state = new
        prev = y
        outs.append(y)
    if cfg.get("return_state"):
        raise Unsupported("return_state")
    if cfg.get("return_sequences", False):
        return torch.stack(outs, 1), mask
    return outs[-1], None


def _convlstm_step(ctx, cfg, k, rk, b, x):
    cf = cfg.get("data_format", "channels_last") == "channels_first"
    f = cfg["filters"]
    n = x.shape[0]
    sp = x.shape[3:] if cf else x.shape[2:4]
    if cfg.get("padding") != "same" or tup(cfg.get("strides", 1), 2) != (1, 1):
        raise Unsupported("ConvLSTM2D other than same padding, stride 1")
    shape = (n, f, *sp) if cf else (n, *sp, f)
    h0 = torch.zeros(shape, dtype=T)
    act, ract = cfg.get("activation", "tanh"), _rec_act(cfg)
    axis = 1 if cf else -1
    rcfg = dict(cfg, strides=1, dilation_rate=1)

    def step(xt, st):
        h, c = st
        zx = conv_nd(ctx, xt, k, b, 2, cfg)
        zh = conv_nd(ctx, h, rk, None, 2, rcfg)
        z = zx + zh
        i, fg, cc, o = torch.chunk(z, 4, dim=axis)
        i, fg, o = (activation(ract, v, ctx) for v in (i, fg, o))
        c = fg * c + i * activation(act, cc, ctx)
        h = o * activation(act, c, ctx)
        return h, [h, c]

    return step, [h0, h0.clone()]


def recurrent(cls):
    def f(ctx, cfg, w, xs, ms, names=None):
        y, m = run_rnn(ctx, cls, cfg, names or [], w, xs[0], ms[0] if ms else None)
        return [y], [m]

    return f


def bidirectional(ctx, cfg, w, xs, ms, names=None):
    inner = cfg["layer"]
    cls, icfg = inner["class_name"], inner["config"]
    half = len(w) // 2
    names = names or [""] * len(w)
    rs = icfg.get("return_sequences", False)
    fcfg = dict(icfg, go_backwards=False)
    bcfg = dict(icfg, go_backwards=not icfg.get("go_backwards", False))
    if icfg.get("go_backwards", False):
        fcfg = dict(icfg, go_backwards=True)
    m = ms[0] if ms else None
    zero = rs and ctx.major >= 2
    yf, mf = run_rnn(ctx, cls, fcfg, names[:half], w[:half], xs[0], m, zero)
    yb, _ = run_rnn(ctx, cls, bcfg, names[half:], w[half:], xs[0], m, zero)
    if rs:
        yb = torch.flip(yb, dims=[1])
    mode = cfg.get("merge_mode", "concat")
    if mode == "concat":
        y = torch.cat([yf, yb], dim=-1)
    elif mode == "sum":
        y = yf + yb
    elif mode == "mul":
        y = yf * yb
    elif mode == "ave":
        y = (yf + yb) / 2
    else:
        raise Unsupported("Bidirectional merge_mode %r" % mode)
    return [y], [mf]


def time_distributed(ctx, cfg, w, xs, ms, names=None):
    from interp import LAYERS  # the wrapped layer's own semantics

    inner = cfg["layer"]
    fn = LAYERS.get(inner["class_name"])
    if fn is None or inner["class_name"] not in ("Dense",):
        raise Unsupported("TimeDistributed(%s)" % inner["class_name"])
    x = xs[0]
    n, steps = x.shape[0], x.shape[1]
    y, _ = fn(ctx, inner["config"], w, [x.reshape(n * steps, *x.shape[2:])], [None])
    return [y[0].reshape(n, steps, *y[0].shape[1:])], ms
