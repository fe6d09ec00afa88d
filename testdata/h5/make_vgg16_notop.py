#!/usr/bin/python3
"""Writes VGG16 no-top weights (58.9 MB, Keras 2.3.1 legacy save_weights
layout) with the deterministic values of ../shared/golden/WEIGHTS-SPEC.md, for
the read-speed benchmark. Not committed, not part of make test:

    /usr/bin/python3 testdata/h5/make_vgg16_notop.py /tmp/vgg16_notop.h5
    KEEL_VGG16_H5=/tmp/vgg16_notop.h5 go test -run '^$' -bench ReadVGG16 ./weightsio/
"""
import sys

import h5py
import numpy as np

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def draws(seed, n):
    """Draws 1..n of the splitmix64 stream, as 24-bit u in [0, 1)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / 16777216.0


def fill(layer, var, shape, fan_in):
    u = draws(fnv1a64(layer + "/" + var), int(np.prod(shape)))
    if var == "kernel":
        v = (2 * u - 1) * np.sqrt(6.0 / float(fan_in))
    else:
        v = (2 * u - 1) * 0.05
    return v.astype(np.float32).reshape(shape)


def main(path):
    blocks = [(1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512)]
    layers, cin = ["input_1"], 3
    convs = []
    for b, n, cout in blocks:
        for i in range(1, n + 1):
            convs.append(("block%d_conv%d" % (b, i), cin, cout))
            layers.append(convs[-1][0])
            cin = cout
        layers.append("block%d_pool" % b)
    convs = {c[0]: c for c in convs}
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([l.encode() for l in layers])
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.3.1"
        for name in layers:
            g = f.create_group(name)
            if name not in convs:
                g.attrs["weight_names"] = np.zeros((0,), dtype=np.float64)
                continue
            _, ci, co = convs[name]
            names = [name + "/kernel:0", name + "/bias:0"]
            g.attrs["weight_names"] = np.array([n.encode() for n in names])
            g.create_dataset(names[0], data=fill(name, "kernel", (3, 3, ci, co), 9 * ci))
            g.create_dataset(names[1], data=fill(name, "bias", (co,), 9 * ci))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/vgg16_notop.h5")
