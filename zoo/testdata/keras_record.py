"""Runs a keras_applications 1.0.8 builder on a recording stand-in for Keras.

usage: keras_record.py SRC MODULE FUNCTION SIZE top|notop

SRC is the keras_applications directory. The builder gets backend, layers
and models objects that only record each layer: its name (Keras 2.3.1's
automatic names where the source gives none), class, inbound layers, output
shape and weight shapes. Prints {"model_name", "layers": {name: ...}} as
JSON. It covers the layers NASNet uses; it checks what Keras would (equal
shapes into Add, matching spatial sizes into Concatenate).
"""
import contextlib
import importlib
import json
import re
import sys
import types

src, module, function, size, top = sys.argv[1:6]

counts = {}
created = []


def snake(name):
    s = re.sub('(.)([A-Z][a-z0-9]+)', r'\1_\2', name)
    return re.sub('([a-z])([A-Z])', r'\1_\2', s).lower()


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def out_size(n, k, s, padding):
    return -(-n // s) if padding == 'same' else (n - k) // s + 1


class Tensor:
    def __init__(self, shape, layer):
        self.shape, self.layer = shape, layer


class Layer:
    def __init__(self, *args, name=None, **kwargs):
        if name is None:
            prefix = snake(type(self).__name__)
            counts[prefix] = counts.get(prefix, 0) + 1
            name = '%s_%d' % (prefix, counts[prefix])
        self.name, self.args, self.kwargs = name, args, kwargs
        created.append(self)

    def __call__(self, x):
        xs = x if isinstance(x, list) else [x]
        self.inbound = [t.layer.name for t in xs]
        self.shape, self.weights = self.compute([t.shape for t in xs])
        return Tensor(self.shape, self)

    def window(self, s, k):
        n, h, w, c = s
        st = pair(self.kwargs.get('strides', k))
        p = self.kwargs.get('padding', 'valid')
        return n, out_size(h, k[0], st[0], p), out_size(w, k[1], st[1], p), c


class Conv(Layer):
    """Conv2D and SeparableConv2D (filters, kernel_size, strides 1 by
    default): kernels gives the kernel shapes from the kernel size, the
    input channels and the filters."""

    def compute(self, s):
        k = pair(self.args[1])
        c = s[0][3]
        self.kwargs.setdefault('strides', 1)
        n, h, w, _ = self.window(s[0], k)
        f = self.args[0]
        ws = self.kernels(k, c, f) + ([[f]] if self.kwargs.get('use_bias', True) else [])
        return (n, h, w, f), ws


class Conv2D(Conv):
    def kernels(self, k, c, f):
        return [[k[0], k[1], c, f]]


class SeparableConv2D(Conv):
    def kernels(self, k, c, f):
        return [[k[0], k[1], c, 1], [1, 1, c, f]]


class Pool(Layer):
    def compute(self, s):
        return self.window(s[0], pair(self.args[0])), []


class AveragePooling2D(Pool):
    pass


class MaxPooling2D(Pool):
    pass


class BatchNormalization(Layer):
    def compute(self, s):
        return s[0], [[s[0][-1]]] * 4


class Activation(Layer):
    def compute(self, s):
        return s[0], []


class ZeroPadding2D(Layer):
    def compute(self, s):
        (t, b), (l, r) = self.kwargs['padding']
        n, h, w, c = s[0]
        return (n, h + t + b, w + l + r, c), []


class Cropping2D(Layer):
    def compute(self, s):
        (t, b), (l, r) = self.kwargs['cropping']
        n, h, w, c = s[0]
        return (n, h - t - b, w - l - r, c), []


class Add(Layer):
    def compute(self, s):
        assert all(x == s[0] for x in s), (self.name, s)
        return s[0], []


class Concatenate(Layer):
    def compute(self, s):
        assert all(x[:3] == s[0][:3] for x in s), (self.name, s)
        return s[0][:3] + (sum(x[3] for x in s),), []


class GlobalAveragePooling2D(Layer):
    def compute(self, s):
        return (s[0][0], s[0][3]), []


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    pass


class Dense(Layer):
    def compute(self, s):
        u = self.args[0]
        return (s[0][0], u), [[s[0][-1], u], [u]]


class InputLayer(Layer):
    pass


def Input(shape):
    layer = InputLayer(name='input_1')
    layer.inbound, layer.shape, layer.weights = [], (None,) + tuple(shape), []
    return Tensor(layer.shape, layer)


layers = types.SimpleNamespace(
    Input=Input, Conv2D=Conv2D, SeparableConv2D=SeparableConv2D,
    AveragePooling2D=AveragePooling2D, MaxPooling2D=MaxPooling2D,
    BatchNormalization=BatchNormalization, Activation=Activation,
    ZeroPadding2D=ZeroPadding2D, Cropping2D=Cropping2D,
    GlobalAveragePooling2D=GlobalAveragePooling2D,
    GlobalMaxPooling2D=GlobalMaxPooling2D, Dense=Dense,
    add=lambda xs, name=None: Add(name=name)(xs),
    concatenate=lambda xs, axis=-1, name=None: Concatenate(name=name)(xs))


@contextlib.contextmanager
def name_scope(_):
    yield


backend = types.SimpleNamespace(
    image_data_format=lambda: 'channels_last', int_shape=lambda t: t.shape,
    name_scope=name_scope, is_keras_tensor=lambda t: True)
models = types.SimpleNamespace(Model=lambda inputs, outputs, name=None: name)

# The package is the installed directory, so that the builder is the
# installed source. Its __init__ and imagenet_utils import Keras' modules and
# numpy, so they are stand-ins holding the two functions builders call
# (correct_pad, _obtain_input_shape), read from the installed files.
pkg = types.ModuleType('keras_applications')
pkg.__path__ = [src]
pkg.get_submodules_from_kwargs = lambda kwargs: (backend, layers, models, None)
sys.modules['keras_applications'] = pkg
utils = types.ModuleType('keras_applications.imagenet_utils')
utils.decode_predictions = None
sys.modules['keras_applications.imagenet_utils'] = utils
pkg.imagenet_utils = utils


def load_function(path, name, into):
    text = open(path).read()
    body = re.search(r'^def %s\(.*?(?=^\S|\Z)' % name, text, re.S | re.M).group(0)
    exec(body, into.__dict__)


load_function(src + '/__init__.py', 'correct_pad', pkg)
utils.warnings = __import__('warnings')
load_function(src + '/imagenet_utils.py', '_obtain_input_shape', utils)

builder = getattr(importlib.import_module('keras_applications.' + module), function)
size = int(size)
name = builder(input_shape=(size, size, 3), include_top=top == 'top', weights=None)
print(json.dumps({'model_name': name, 'layers': {
    l.name: {'class_name': type(l).__name__, 'inbound': l.inbound, 'output_shape': list(l.shape[1:]),
             'weights': [list(w) for w in l.weights]} for l in created}}))
