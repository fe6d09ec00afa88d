#!/usr/bin/python3
"""Writes two tiny Keras 2 weight files (save_weights layout, no values that
matter) whose layer names are those of ResNet50's two namings, for the zoo's
test that `resnet50` picks its graph from a file's layer names.

    /usr/bin/python3 scripts/zoo/make_resnet_names.py testdata/zoo
"""
import sys
import h5py
import numpy as np

def write(path, layers):
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.3.1"
        for name, shape in layers:
            g = f.create_group(name)
            g.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode()])
            g.create_group(name).create_dataset("kernel:0", data=np.zeros(shape, np.float32))

out = sys.argv[1]
write(f"{out}/resnet50_legacy_names.h5", [("conv1", (7, 7, 3, 1)), ("res2a_branch2a", (1, 1, 1, 1))])
write(f"{out}/resnet50_current_names.h5", [("conv1_conv", (7, 7, 3, 1)), ("conv2_block1_1_conv", (1, 1, 1, 1))])
