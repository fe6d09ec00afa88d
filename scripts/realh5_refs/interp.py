"""Builds a Keras model's graph from its config and evaluates it in float64.

Handles Sequential (Keras 1/2 list form and the 2.4+ {"layers": [...]} form),
functional models (Keras 1/2 inbound_nodes lists, Keras 3 __keras_tensor__
args), nested models (weights named <sublayer>/<var> inside the nested
model's group) and shared layers (one layer, several nodes).
"""

import torch

import layers as L
import pycode
import rnn as R
from layers import Unsupported

LAYERS = {
    "Dense": L.dense,
    "TimeDistributedDense": L.dense,
    "Activation": L.act_layer,
    "Dropout": L.identity,
    "SpatialDropout1D": L.identity,
    "SpatialDropout2D": L.identity,
    "SpatialDropout3D": L.identity,
    "GaussianNoise": L.identity,
    "GaussianDropout": L.identity,
    "AlphaDropout": L.identity,
    "ActivityRegularization": L.identity,
    "Flatten": L.flatten,
    "Reshape": L.reshape,
    "Permute": L.permute,
    "RepeatVector": L.repeat_vector,
    "BatchNormalization": L.batchnorm,
    "Embedding": L.embedding,
    "Masking": L.masking,
    "LeakyReLU": L.leaky_relu,
    "PReLU": L.prelu,
    "ELU": L.elu_layer,
    "ThresholdedReLU": L.thresholded_relu,
    "Softmax": L.softmax_layer,
    "ReLU": L.relu_layer,
    "Conv1D": L.conv(1),
    "Convolution1D": L.conv(1),
    "Conv2D": L.conv(2),
    "Convolution2D": L.conv(2),
    "Conv3D": L.conv(3),
    "Convolution3D": L.conv(3),
    "DepthwiseConv2D": L.depthwise,
    "SeparableConv1D": L.separable(1),
    "SeparableConv2D": L.separable(2),
    "LocallyConnected2D": L.locally_connected2d,
    "MaxPooling1D": L.pool(1, "max"),
    "MaxPooling2D": L.pool(2, "max"),
    "MaxPooling3D": L.pool(3, "max"),
    "AveragePooling1D": L.pool(1, "avg"),
    "AveragePooling2D": L.pool(2, "avg"),
    "AveragePooling3D": L.pool(3, "avg"),
    "GlobalAveragePooling1D": L.global_pool(1, "avg"),
    "GlobalAveragePooling2D": L.global_pool(2, "avg"),
    "GlobalAveragePooling3D": L.global_pool(3, "avg"),
    "GlobalMaxPooling1D": L.global_pool(1, "max"),
    "GlobalMaxPooling2D": L.global_pool(2, "max"),
    "GlobalMaxPooling3D": L.global_pool(3, "max"),
    "ZeroPadding1D": L.zero_padding(1),
    "ZeroPadding2D": L.zero_padding(2),
    "ZeroPadding3D": L.zero_padding(3),
    "Cropping1D": L.cropping(1),
    "Cropping2D": L.cropping(2),
    "Cropping3D": L.cropping(3),
    "UpSampling1D": L.upsampling(1),
    "UpSampling2D": L.upsampling(2),
    "UpSampling3D": L.upsampling(3),
    "Add": L.merge("add"),
    "Subtract": L.merge("sub"),
    "Multiply": L.merge("mul"),
    "Average": L.merge("avg"),
    "Maximum": L.merge("max"),
    "Minimum": L.merge("min"),
    "Concatenate": L.merge("concat"),
    "Attention": L.attention,
    "TensorFlowOpLayer": L.tf_op_layer,
    "Lambda": pycode.lambda_layer,
    "SimpleRNN": R.recurrent("SimpleRNN"),
    "LSTM": R.recurrent("LSTM"),
    "GRU": R.recurrent("GRU"),
    "Bidirectional": R.bidirectional,
    "TimeDistributed": R.time_distributed,
}

NAMED = {"SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed"}
MODELS = {"Sequential", "Model", "Functional"}


class Ctx:
    """Version facts the layer semantics depend on."""

    def __init__(self, version, theano):
        self.version = version  # (major, minor) of keras_version
        self.major = version[0]
        self.theano = theano
        self.used = {}  # (weights group, layer) -> arrays handed out
        self.notes = set()  # how layers beyond plain config were read


class Weights:
    """A (name, array) list per layer: top-level from the file, nested ones
    cut out of their model's group by the <sublayer>/ prefix."""

    def __init__(self, lookup, pairs=None):
        self.lookup = lookup  # layer name -> list of (name, array)
        self.pairs = pairs  # a nested model's whole group, else None

    def of(self, layer):
        return self.lookup(layer)


def nested_weights(pairs):
    """The weights of a nested model: one group holding every sublayer's
    arrays (a model nested deeper still shares that group)."""

    def lookup(sub):
        out = []
        for n, a in pairs:
            head = n.rsplit("/", 1)[0] if "/" in n else ""
            if head == sub or head.endswith("/" + sub):
                out.append((n, a))
        return out

    return Weights(lookup, pairs)


def refs(v):
    """input_layers / output_layers as a list of [name, node, tensor]
    (Keras 3 writes a single one unwrapped)."""
    return [v] if v and isinstance(v[0], str) else v


def layer_list(model_cfg):
    cfg = model_cfg["config"]
    return cfg if isinstance(cfg, list) else cfg["layers"]


def input_specs(model_cfg):
    """[(name, batch_shape, dtype)] of the model's inputs, in input order."""
    cls = model_cfg["class_name"]
    layers = layer_list(model_cfg)
    if cls == "Sequential":
        first = layers[0]["config"]
        shape = first.get("batch_input_shape") or first.get("batch_shape")
        if shape is None and "input_shape" in first:
            shape = [None] + list(first["input_shape"])
        if shape is None and first.get("input_dim") is not None and layers[0]["class_name"] in ("Dense",):
            shape = [None, first["input_dim"]]
        if shape is None and layers[0]["class_name"] == "Embedding":
            shape = [None, first.get("input_length")]
        if shape is None and layers[0]["class_name"] in MODELS:
            return input_specs(layers[0])
        if shape is None:
            raise Unsupported("Sequential without an input shape")
        name = first["name"] if layers[0]["class_name"] == "InputLayer" else first["name"] + "_input"
        return [(name, shape, first.get("dtype", first.get("input_dtype", "float32")))]
    by = {l["name"] if "name" in l else l["config"]["name"]: l for l in layers}
    out = []
    for ref in refs(model_cfg["config"]["input_layers"]):
        name = ref[0]
        c = by[name]["config"]
        shape = c.get("batch_input_shape") or c.get("batch_shape")
        out.append((name, shape, c.get("dtype", "float32")))
    return out


def first_consumers(model_cfg):
    """Class names of the layers that read each input (to choose int inputs)."""
    layers = layer_list(model_cfg)
    if model_cfg["class_name"] == "Sequential":
        for l in layers:
            if l["class_name"] != "InputLayer":
                return {input_specs(model_cfg)[0][0]: [l]}
        return {}
    cons = {}
    for l in layers:
        for src in node_sources(l):
            for s in src:
                cons.setdefault(s[0], []).append(l)
    return cons


def nodes_of(lc):
    """A layer's inbound nodes; tf.keras writes a TF op node that has one
    inbound tensor as that tensor's [layer, node, tensor, kwargs] alone."""
    return [[n] if isinstance(n, list) and n and isinstance(n[0], str) else n for n in lc.get("inbound_nodes", [])]


def node_sources(lc):
    """Per inbound node, the list of (layer, node_index, tensor_index)."""
    out = []
    for node in nodes_of(lc):
        if isinstance(node, dict):  # Keras 3
            refs = []

            def walk(v):
                if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
                    h = v["config"]["keras_history"]
                    refs.append((h[0], h[1], h[2]))
                elif isinstance(v, dict):
                    for x in v.values():
                        walk(x)
                elif isinstance(v, list):
                    for x in v:
                        walk(x)

            walk(node["args"])
            out.append(refs)
        elif lc["class_name"] in TFOPS:
            refs = []
            for r in node:
                if r[0] != CONSTANT:
                    refs.append((r[0], r[1], r[2]))
                _kwarg_refs(r[3] if len(r) > 3 else {}, refs)
            out.append(refs)
        else:
            out.append([(r[0], r[1], r[2]) for r in node])
    return out


TFOPS = {"TFOpLambda", "SlicingOpLambda"}
CONSTANT = "_CONSTANT_VALUE"


def _is_ref(v):
    return isinstance(v, list) and len(v) == 3 and isinstance(v[0], str) and all(isinstance(i, int) for i in v[1:])


def _kwarg_refs(v, refs):
    """Tensors named inside a TF op's kwargs, as [layer, node, tensor] lists."""
    if _is_ref(v):
        refs.append(tuple(v))
    elif isinstance(v, dict):
        for x in v.values():
            _kwarg_refs(x, refs)
    elif isinstance(v, list):
        for x in v:
            _kwarg_refs(x, refs)


def _kwarg_values(v, value):
    if _is_ref(v):
        return value(tuple(v))
    if isinstance(v, dict):
        return {k: _kwarg_values(x, value) for k, x in v.items()}
    if isinstance(v, list):
        return [_kwarg_values(x, value) for x in v]
    return v


def tf_op_call(lc, node, value):
    """One TFOpLambda / SlicingOpLambda node: the TensorFlow function the
    config names, on its inbound tensors, constants and kwargs."""
    fn = lc["config"]["function"]
    args, kwargs = [], {}
    for r in node:
        args.append(L.t(r[2]) if r[0] == CONSTANT else value((r[0], r[1], r[2])))
        kwargs.update(_kwarg_values(r[3] if len(r) > 3 else {}, value))
    kwargs.pop("name", None)
    if fn == "compat.v1.shape" or fn == "shape":
        return torch.tensor(list(args[0].shape))
    if fn == "__operators__.getitem" and isinstance(kwargs.get("slice_spec"), int):
        return args[0][kwargs["slice_spec"]]
    if fn == "tile":
        mult = [int(m) for m in kwargs.get("multiples", args[1] if len(args) > 1 else None)]
        return torch.tile(args[0], mult)
    raise Unsupported("%s function %s" % (lc["class_name"], fn))


def node_kwargs(lc, i):
    node = nodes_of(lc)[i]
    if isinstance(node, dict):
        return node.get("kwargs", {})
    kws = {}
    for r in node:
        if len(r) > 3 and isinstance(r[3], dict):
            kws.update(r[3])
    return kws


class Model:
    """A callable Keras model: Model(ctx, config, weights)(inputs) -> outputs."""

    def __init__(self, ctx, model_cfg, weights):
        self.ctx = ctx
        self.cfg = model_cfg
        self.weights = weights
        self.layers = layer_list(model_cfg)
        self.sub = {}
        for lc in self.layers:
            if lc["class_name"] in MODELS:
                name = lc["config"]["name"]
                inner = weights if weights.pairs is not None else nested_weights(weights.of(name))
                self.sub[name] = Model(ctx, lc, inner)

    def call_layer(self, lc, xs, ms, kwargs=None):
        cls = lc["class_name"]
        cfg = lc["config"]
        name = cfg["name"]
        if cls in MODELS:
            ys = self.sub[name](xs)
            return ys, [None] * len(ys)
        if cls == "InputLayer":
            return xs, ms
        fn = LAYERS.get(cls)
        if fn is None:
            raise Unsupported("layer class %s (%s)" % (cls, name))
        pairs = self.weights.of(name)
        self.ctx.used[(id(self.weights), name)] = len(pairs)
        arrays = [a for _, a in pairs]
        names = [n for n, _ in pairs]
        if kwargs and kwargs.get("mask") is not None:
            raise Unsupported("explicit mask argument")
        if cls == "Attention" and kwargs and kwargs.get("use_causal_mask"):
            raise Unsupported("Attention use_causal_mask")
        if cls in NAMED:
            return fn(self.ctx, cfg, arrays, xs, ms, names=names)
        return fn(self.ctx, cfg, arrays, xs, ms)

    def __call__(self, inputs):
        if self.cfg["class_name"] == "Sequential":
            x, m = [inputs[0]], [None]
            for lc in self.layers:
                x, m = self.call_layer(lc, x, m)
            return x
        vals = {}
        specs = refs(self.cfg["config"]["input_layers"])
        for ref, x in zip(specs, inputs):
            vals[(ref[0], 0, 0)] = (x, None)
        pending = [l for l in self.layers if l["class_name"] != "InputLayer"]
        while pending:
            progressed = False
            rest = []
            for lc in pending:
                name = lc.get("name", lc["config"]["name"])
                srcs = node_sources(lc)
                done = True
                for ni, src in enumerate(srcs):
                    if (name, ni, 0) in vals:
                        continue
                    src = [self.resolve(s, vals) for s in src]
                    if not all(s in vals for s in src):
                        done = False
                        continue
                    if lc["class_name"] in TFOPS:
                        node = nodes_of(lc)[ni]
                        y = tf_op_call(lc, node, lambda r: vals[self.resolve(r, vals)][0])
                        vals[(name, ni, 0)] = (y, None)
                        progressed = True
                        continue
                    xs = [vals[s][0] for s in src]
                    ms = [vals[s][1] for s in src]
                    ys, yms = self.call_layer(lc, xs, ms, node_kwargs(lc, ni))
                    for ti, (y, ym) in enumerate(zip(ys, yms)):
                        vals[(name, ni, ti)] = (y, ym)
                    progressed = True
                if not done:
                    rest.append(lc)
            if not progressed:
                raise Unsupported("graph cannot be evaluated (missing inputs)")
            pending = rest
        outs = refs(self.cfg["config"]["output_layers"])
        return [vals[self.resolve(tuple(o[:3]), vals)][0] for o in outs]

    def resolve(self, ref, vals):
        """A nested model built from config owns node 0 itself (its own
        inputs), so the configs of tf.keras call its first use node 1."""
        name, ni, ti = ref
        if ref not in vals and ni > 0 and name in self.sub and (name, ni - 1, ti) in vals:
            return (name, ni - 1, ti)
        return ref
