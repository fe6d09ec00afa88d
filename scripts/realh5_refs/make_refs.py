#!/usr/bin/python3
"""Writes testdata/realh5ref/<file>.json: float64 reference outputs of every
real Keras full-model file in ../shared/realh5, computed from the file's own
config and weights by this interpreter (never by Keel).

Usage: /usr/bin/python3 scripts/realh5_refs/make_refs.py [--shared DIR] [--out DIR] [file ...]
"""

import argparse
import json
import math
import os
import sys
import traceback

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import interp  # noqa: E402
from kfile import ModelFile  # noqa: E402
import layers  # noqa: E402
from layers import T, Unsupported  # noqa: E402

BATCH = 2
UNKNOWN_TIME = 6  # None timesteps
UNKNOWN_SPATIAL = 16  # None image rows / columns
FULL_LIMIT = 4096  # outputs up to this size are stored whole
SAMPLES = 512  # else about this many sampled values

# Files whose layers run Python code or custom classes this interpreter
# cannot reproduce from the config alone.
SKIP_CLASSES = {
    "FixedPointQuantizer": "custom HGQ quantizer layer",
    "GarNet": "custom GarNet layer",
    "GarNetStack": "custom GarNet layer",
    "QuantConv2D": "custom larq quantized layer",
    "QuantDense": "custom larq quantized layer",
    "QuantDepthwiseConv2D": "custom larq quantized layer",
}


def float_input(shape, k):
    """The recipe's values, rounded to float32 as Keel will see them."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    x = 0.5 * np.sin(0.37 * i + 1.3 * k)
    return x.astype(np.float32).astype(np.float64).reshape(shape)


def masked_input(shape, k, mask_value):
    """The sin recipe with whole timesteps set to mask_value where
    (t + 2*n) % 4 == 1 (n the sample, t the timestep), so a Masking layer
    has steps to mask, the last one of sample 0 among them."""
    x = float_input(shape, k)
    for n in range(shape[0]):
        for t in range(shape[1]):
            if (t + 2 * n) % 4 == 1:
                x[n, t] = mask_value
    return x


def int_input(shape, k, modulo):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return ((i * 7 + k) % modulo).astype(np.float64).reshape(shape)


def concrete(shape, spatial):
    """Batch BATCH and a fixed size for each unknown dim; returns (shape, fixed)."""
    out, fixed = [BATCH], {}
    for d, v in enumerate(shape[1:], start=1):
        if v is None:
            v = UNKNOWN_SPATIAL if spatial else UNKNOWN_TIME
            fixed[str(d)] = v
        out.append(v)
    return out, fixed


def mask_value(consumers):
    for c in consumers:
        if c["class_name"] == "Masking":
            return float(c["config"].get("mask_value", 0.0))
    return None


def embedding_dim(consumers):
    for c in consumers:
        if c["class_name"] == "Embedding":
            return c["config"]["input_dim"]
    return None


def weights_lookup(mf):
    w = mf.weights
    if hasattr(w, "named"):
        return lambda layer: w.named(layer)
    return lambda layer: [("", a) for a in w.arrays(layer)]


def class_names(cfg, acc):
    for lc in interp.layer_list(cfg):
        acc.add(lc["class_name"])
        if lc["class_name"] in interp.MODELS:
            class_names(lc, acc)
        inner = lc["config"].get("layer") if isinstance(lc["config"], dict) else None
        if isinstance(inner, dict) and "class_name" in inner:
            acc.add(inner["class_name"])
    return acc


def summarize(y):
    flat = y.reshape(-1)
    n = flat.size
    rec = {
        "shape": list(y.shape),
        "n": int(n),
        "sum": float(flat.sum()),
        "sum_abs": float(np.abs(flat).sum()),
        "sum_sq": float((flat * flat).sum()),
        "max_abs": float(np.abs(flat).max()) if n else 0.0,
    }
    if n <= FULL_LIMIT:
        rec["stride"] = 1
        idx = np.arange(n)
    else:
        rec["stride"] = int(math.ceil(n / SAMPLES))
        idx = np.arange(0, n, rec["stride"])
    rec["values"] = [float(np.float32(v)) for v in flat[idx]]
    return rec


def reference(shared, rel):
    mf = ModelFile(os.path.join(shared, rel))
    classes = sorted(class_names(mf.config, set()))
    for c in classes:
        if c in SKIP_CLASSES:
            raise Unsupported("%s: %s" % (c, SKIP_CLASSES[c]))
    # Theano kernels are flipped: by the backend attribute, or for Keras 1
    # files (which have none) by their weight names (kfile.theano_kernels).
    theano = mf.theano_kernels()
    ctx = interp.Ctx(mf.version, theano)
    model = interp.Model(ctx, mf.config, interp.Weights(weights_lookup(mf)))
    specs = interp.input_specs(mf.config)
    cons = interp.first_consumers(mf.config)
    ins, xs = [], []
    for k, (name, shape, dtype) in enumerate(specs):
        modulo = embedding_dim(cons.get(name, []))
        spatial = len(shape) >= 4
        cshape, fixed = concrete(shape, spatial)
        mv = mask_value(cons.get(name, []))
        if mv is not None:
            x = masked_input(cshape, k, mv)
            ins.append({"name": name, "shape": cshape, "recipe": "sin_masked", "k": k, "mask_value": mv, "fixed_dims": fixed})
        elif modulo is not None:
            x = int_input(cshape, k, modulo)
            ins.append({"name": name, "shape": cshape, "recipe": "int", "k": k, "modulo": modulo, "fixed_dims": fixed})
        else:
            x = float_input(cshape, k)
            ins.append({"name": name, "shape": cshape, "recipe": "sin", "k": k, "fixed_dims": fixed})
        xs.append(torch.as_tensor(x, dtype=T))
    with torch.no_grad():
        ys = model(xs)
    used, held = sum(ctx.used.values()), mf.weights.count()
    if used != held:
        raise RuntimeError("the model used %d of the file's %d weight arrays" % (used, held))
    outs = [summarize(y.numpy()) for y in ys]
    layers.set_dtype(torch.float32)
    try:
        with torch.no_grad():
            ys32 = model([x.to(torch.float32) for x in xs])
    finally:
        layers.set_dtype(T)
    for o, y, y32 in zip(outs, ys, ys32):
        d = (y32.to(T) - y).abs() / (1 + y.abs())
        o["f32_drift"] = float(d.max()) if d.numel() else 0.0
    for o in outs:
        if not all(math.isfinite(v) for v in o["values"]):
            raise Unsupported("non-finite output")
    return {
        "file": rel,
        "keras_version": mf.keras_version,
        "backend": mf.backend,
        "theano_kernels": theano,
        "model_class": mf.config["class_name"],
        "layer_classes": classes,
        "batch": BATCH,
        "f32_drift": "max |y32 - y64| / (1 + |y64|) of this interpreter run in float32: the rounding a correct float32 implementation may show",
        "recipes": {
            "sin": "x[i] = 0.5*sin(0.37*i + 1.3*k), i the flat C-order index over the whole batch tensor, k the input's position",
            "int": "x[i] = (i*7 + k) % modulo (modulo = the Embedding's input_dim)",
            "sin_masked": "sin, then x[n, t, ...] = mask_value for every sample n and timestep t with (t + 2*n) % 4 == 1",
        },
        "notes": sorted(ctx.notes),
        "inputs": ins,
        "outputs": outs,
    }


def full_model_files(shared):
    man = json.load(open(os.path.join(shared, "manifest.json")))
    return [e["file"] for e in man if e["layer_classes"] and not e["kind"].startswith("legacy weights-only")]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(repo, "..", "shared", "realh5"))
    ap.add_argument("--out", default=os.path.join(repo, "testdata", "realh5ref"))
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    files = a.files or full_model_files(a.shared)
    index_path = os.path.join(a.out, "index.json")
    index = json.load(open(index_path)) if a.files and os.path.exists(index_path) else {}
    for rel in files:
        out = os.path.join(a.out, rel.replace("/", "__") + ".json")
        try:
            ref = reference(a.shared, rel)
        except Unsupported as e:
            index[rel] = {"status": "skipped", "reason": str(e)}
            if os.path.exists(out):
                os.remove(out)
            print("SKIP", rel, e)
            continue
        except Exception as e:  # an interpreter bug: report it, write nothing
            traceback.print_exc()
            index[rel] = {"status": "error", "reason": "%s: %s" % (type(e).__name__, e)}
            print("ERROR", rel, e)
            continue
        with open(out, "w") as f:
            json.dump(ref, f, separators=(",", ":"))
        index[rel] = {"status": "ref", "json": os.path.basename(out)}
        print("OK  ", rel, [o["shape"] for o in ref["outputs"]])
    with open(index_path, "w") as f:
        json.dump(dict(sorted(index.items())), f, indent=1)


if __name__ == "__main__":
    main()
