"""Reading a Keras model file: its config, its version facts and its weights.

Legacy HDF5 (Keras 1.x, 2.x, tf.keras 2.x): model_config at the root and one
group per layer under model_weights/, whose weight_names attribute lists the
layer's arrays in Keras' own order. Keras 3 .keras: a zip holding config.json
and model.weights.h5, whose variables sit at layers/<snake_case class>[_n]/vars/<i>.
"""

import io
import json
import re
import zipfile

import h5py
import numpy as np


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


class LegacyWeights:
    """Weights of a legacy HDF5 file, looked up by top-level layer name."""

    def __init__(self, h5):
        self.root = h5["model_weights"] if "model_weights" in h5 else h5

    def count(self):
        """How many arrays the file holds for the model's layers."""
        n = []
        self.root.visititems(lambda _, o: n.append(1) if isinstance(o, h5py.Dataset) else None)
        return len(n)

    def names(self, layer):
        if layer not in self.root:
            return []
        wn = self.root[layer].attrs.get("weight_names", [])
        return [_text(n) for n in wn]

    def arrays(self, layer):
        """The layer's arrays in file order, as float64."""
        g = self.root[layer] if layer in self.root else None
        return [np.array(g[n], dtype=np.float64) for n in self.names(layer)]

    def named(self, layer):
        """(name, array) pairs of a layer group, for nested models."""
        g = self.root[layer] if layer in self.root else None
        return [(n, np.array(g[n], dtype=np.float64)) for n in self.names(layer)]


def _snake(name):
    # keras.src.utils.naming.to_snake_case
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


class Keras3Weights:
    """Weights of a Keras 3 archive: a layer's vars are found by its position
    among the model's layers, as keras.src.saving.saving_lib names them."""

    def __init__(self, h5, layer_configs):
        self.h5 = h5
        self.path = {}
        used = {}
        for lc in layer_configs:
            base = _snake(lc["class_name"])
            if base in used:
                used[base] += 1
                key = "%s_%d" % (base, used[base])
            else:
                used[base] = 0
                key = base
            self.path[lc["config"]["name"]] = "layers/" + key

    def count(self):
        n = []
        self.h5["layers"].visititems(lambda _, o: n.append(1) if isinstance(o, h5py.Dataset) else None)
        return len(n)

    def arrays(self, layer):
        p = self.path.get(layer)
        if p is None or p + "/vars" not in self.h5:
            return []
        g = self.h5[p + "/vars"]
        return [np.array(g[str(i)], dtype=np.float64) for i in range(len(g))]


class ModelFile:
    """One Keras model file: config (dict), keras_version, backend, weights."""

    def __init__(self, path):
        self.path = path
        if path.endswith(".keras"):
            z = zipfile.ZipFile(path)
            self.config = json.loads(z.read("config.json"))
            meta = json.loads(z.read("metadata.json"))
            self.keras_version = meta.get("keras_version", "3")
            self.backend = None
            self.h5 = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
            cfg = self.config["config"]
            layers = cfg["layers"] if isinstance(cfg, dict) else cfg
            self.weights = Keras3Weights(self.h5, layers)
        else:
            self.h5 = h5py.File(path, "r")
            self.config = json.loads(_text(self.h5.attrs["model_config"]))
            self.keras_version = _text(self.h5.attrs.get("keras_version", "1"))
            b = self.h5.attrs.get("backend")
            self.backend = _text(b) if b is not None else None
            self.weights = LegacyWeights(self.h5)

    def theano_kernels(self):
        """Whether the file's convolution kernels were trained by Theano.

        Keras 2 files say so in their backend attribute, and Keras' loader
        flips their kernels. Keras 1 files have no backend attribute; Theano
        names each variable as given ("dense_1_W") where TensorFlow appends
        ":0", so a Keras 1 file with weights none of whose names ends in ":0"
        was written under Theano, and its kernels are flipped so that the
        model computes what Keras 1 on Theano did (Keras 2's loader, without
        the attribute, would not flip them).
        """
        if self.backend is not None:
            return self.backend == "theano"
        if self.major != 1 or not isinstance(self.weights, LegacyWeights):
            return False
        names = []
        w = self.weights
        for layer in w.root:
            names.extend(w.names(layer))
        return bool(names) and not any(n.endswith(":0") for n in names)

    @property
    def major(self):
        return self.version[0]

    @property
    def version(self):
        """(major, minor) of keras_version, e.g. (2, 2) for "2.2.4-tf"."""
        parts = (self.keras_version.split(".") + ["0"])[:2]
        return tuple(int("".join(ch for ch in p if ch.isdigit()) or 0) for p in parts)
