#!/usr/bin/python3
"""Checks the interpreter itself against outputs that real Keras computed:
dl4j-test-resources ships, beside some models, an *_inputs_and_outputs.h5
holding Keras' own inputs and predictions ("outputs" there are the training
targets, not the model's). Exits non-zero on a mismatch."""

import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import interp  # noqa: E402
from kfile import ModelFile  # noqa: E402
from layers import T  # noqa: E402
from make_refs import weights_lookup  # noqa: E402

PAIRS = {
    "simple_lstm_tf_keras_1_model.h5": "simple_lstm_tf_keras_1_inputs_and_outputs.h5",
    "simple_lstm_th_keras_1_model.h5": "simple_lstm_th_keras_1_inputs_and_outputs.h5",
    "simple_flatten_lstm_tf_keras_2_model.h5": "simple_flatten_lstm_tf_keras_2_inputs_and_outputs.h5",
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    d = os.path.join(here, "..", "..", "..", "shared", "realh5", "dl4j-test-resources")
    bad = 0
    for model, io in PAIRS.items():
        mf = ModelFile(os.path.join(d, model))
        theano = mf.backend == "theano"
        m = interp.Model(interp.Ctx(mf.version, theano), mf.config, interp.Weights(weights_lookup(mf)))
        h = h5py.File(os.path.join(d, io), "r")
        x = np.array(list(h["inputs"].values())[0], dtype=np.float64)
        want = np.array(list(h["predictions"].values())[0], dtype=np.float64)
        with torch.no_grad():
            got = m([torch.as_tensor(x, dtype=T)])[0].numpy()
        err = float(np.max(np.abs(got - want) / (1 + np.abs(want))))
        ok = err <= 1e-5
        bad += not ok
        print("%-45s max rel err %.2e %s" % (model, err, "ok" if ok else "MISMATCH"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
