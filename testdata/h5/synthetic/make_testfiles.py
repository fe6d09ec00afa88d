#!/usr/bin/python3
"""Writes the small synthetic HDF5 files of testdata/h5/synthetic and, for each,
expected/<file>.json in the format of ../shared/realh5/expected (what h5py reads
back). Run with Debian's python3-h5py: /usr/bin/python3 make_testfiles.py.
The outputs are committed; make test does not need Python.

Files named latest-*.h5 use the newer layouts (libver='latest', chunked,
filters, dense groups and attributes) of weightsio issue 5.
"""
import hashlib
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def keras_list_attr(group, name, values, limit=64512):
    """Keras' save_attributes_to_hdf5_group: split a too-long list into
    name0, name1, ... (here with a small limit to force the overflow form)."""
    data = np.asarray([v.encode() for v in values])
    chunks = 1
    split = np.array_split(data, chunks)
    while any(x.nbytes > limit for x in split):
        chunks += 1
        split = np.array_split(data, chunks)
    if chunks > 1:
        for i, part in enumerate(split):
            group.attrs["%s%d" % (name, i)] = part
    else:
        group.attrs[name] = data


def overflow_weights(path):
    """A legacy weights file whose layer_names and weight_names overflow."""
    with h5py.File(path, "w") as f:
        layers = ["dense_%d" % i for i in range(40)] + ["input_1"]
        keras_list_attr(f, "layer_names", layers, limit=200)
        f.attrs["keras_version"] = "2.3.1"
        f.attrs["backend"] = "tensorflow"
        for i, name in enumerate(layers):
            g = f.create_group(name)
            if name == "input_1":
                g.attrs["weight_names"] = np.zeros((0,), dtype="float64")
                continue
            names = ["%s/kernel:0" % name, "%s/bias:0" % name]
            keras_list_attr(g, "weight_names", names, limit=20)
            g.create_dataset(names[0], data=rng.standard_normal((3, 2)).astype("float32"))
            g.create_dataset(names[1], data=rng.standard_normal((2,)).astype("float32"))


def types_and_layouts(path):
    """Every datatype and old-style layout the reader converts."""
    with h5py.File(path, "w") as f:
        f.create_dataset("f16_le", data=rng.standard_normal((4, 5)).astype("<f2"))
        f.create_dataset("f16_be", data=np.array([0, -0.0, 1, 65504, 6e-8, np.inf, -np.inf, 1e-5], dtype=">f2"))
        f.create_dataset("f32_be", data=rng.standard_normal((3, 3)).astype(">f4"))
        f.create_dataset("f64_le", data=rng.standard_normal((7,)).astype("<f8") * 1e3)
        f.create_dataset("f64_be", data=np.array([1 + 2**-24, 1 + 3 * 2**-24, 1e40, -1e-50, 3.4028235e38], dtype=">f8"))
        f.create_dataset("i16_be", data=np.arange(-5, 5, dtype=">i2"))
        f.create_dataset("u8", data=np.arange(10, dtype="u1"))
        f.create_dataset("i64", data=np.array([-(2**40), 0, 2**40], dtype="<i8"))
        f.create_dataset("scalar_f32", data=np.float32(2.5))
        f.create_dataset("empty", shape=(0, 3), dtype="f4")
        f.create_dataset("unwritten", shape=(2, 2), dtype="f4")  # no storage allocated: fill value
        f.create_dataset("unwritten_fill", shape=(3,), dtype="<i4", fillvalue=-3)
        space = h5py.h5s.create_simple((6,))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        ds = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(6, dtype="<f4"))
        g = f.create_group("attrs")
        g.attrs["vlen_str"] = "hello"
        g.attrs["fixed_str"] = np.bytes_("fixed")
        g.attrs["str_array"] = np.array([b"a", b"bc", b"def"])
        g.attrs["vlen_array"] = np.array(["x", "yz"], dtype=h5py.string_dtype())
        g.attrs["f64_array"] = np.array([1.5, -2.0])
        g.attrs["i32"] = np.int32(-7)
        g.attrs["empty_f64"] = np.zeros((0,), dtype="float64")
        g.attrs["null"] = h5py.Empty("f4")
        g["soft"] = h5py.SoftLink("/f32_be")
        g["loop"] = g  # a hard-link cycle: attrs/loop is attrs
        f["hard_alias"] = f["u8"]


def latest(path):
    """The newer layouts: superblock 3, compact and dense link storage, dense
    attributes, chunked datasets with deflate, shuffle and fletcher32."""
    with h5py.File(path, "w", libver="latest") as f:
        f.attrs["keras_version"] = "2.3.1"
        dense = f.create_group("many_links")
        for i in range(40):
            dense.create_dataset("d%02d" % i, data=np.full((2,), i, dtype="<f4"))
        small = f.create_group("few_links")
        small.create_dataset("x", data=rng.standard_normal((5,)).astype("<f4"))
        attrs = f.create_group("many_attrs")
        for i in range(30):
            attrs.attrs["a%02d" % i] = "value %d" % i
        attrs.attrs["big"] = np.arange(20000, dtype="<f8")[:3]
        data = rng.standard_normal((33, 17)).astype("<f4")
        f.create_dataset("chunked/plain", data=data, chunks=(8, 8))
        f.create_dataset("chunked/deflate", data=data, chunks=(8, 8), compression="gzip", compression_opts=4)
        f.create_dataset("chunked/shuffle_deflate", data=data, chunks=(10, 17), shuffle=True, compression="gzip")
        f.create_dataset("chunked/fletcher32", data=data, chunks=(33, 17), fletcher32=True)
        f.create_dataset("chunked/f16_be", data=data.astype(">f2"), chunks=(4, 4), compression="gzip", shuffle=True)
        f.create_dataset("chunked/resizable", data=data, chunks=(5, 5), maxshape=(None, 17))
        f.create_dataset("chunked/two_unlimited", data=data, chunks=(5, 5), maxshape=(None, None))
        f.create_dataset("chunked/i64", data=np.arange(1000, dtype="<i8"), chunks=(100,), compression="gzip")
        sparse = f.create_dataset("chunked/sparse_fill", shape=(20, 20), dtype="<f4", chunks=(8, 8), fillvalue=1.5)
        sparse[0:3, 9:11] = 7


def big_indexes(path):
    """Indexes large enough for their deeper parts: fractal heap indirect
    blocks and deeper v2 B-trees (many links and attributes), paged fixed
    arrays, extensible arrays with secondary blocks and paged data blocks,
    v2 B-tree chunk indexes with internal nodes."""
    with h5py.File(path, "w", libver="latest") as f:
        target = f.create_dataset("target", data=np.arange(3, dtype="<f4"))
        links = f.create_group("links")
        for i in range(1500):
            links["link_%04d" % i] = target
        attrs = f.create_group("attrs")
        for i in range(300):
            attrs.attrs["attr_%03d" % i] = "attribute value number %d" % i
        f.create_dataset("fixed_paged", data=np.arange(1500, dtype="u1"), chunks=(1,))
        f.create_dataset("ext_array", data=np.arange(20000, dtype="u1") % 251, chunks=(1,), maxshape=(None,))
        f.create_dataset("ext_array_2d", data=rng.standard_normal((300, 3)).astype("<f4"), chunks=(1, 2), maxshape=(None, 3))
        f.create_dataset("ext_array_dim1", data=rng.standard_normal((3, 300)).astype("<f4"), chunks=(2, 1), maxshape=(3, None))
        f.create_dataset("btree2", data=(np.arange(3600, dtype="<i2") % 1000).reshape(60, 60), chunks=(1, 1), maxshape=(None, None))


def archives():
    """.keras archives without a real sample here: the tf.keras 2.13-2.15
    layout (layers under _layer_checkpoint_dependencies, with "/" and with the
    backslash names of files saved on Windows), and a Keras 3 archive whose
    weights member is deflated instead of stored."""
    import io
    import zipfile

    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"name": "input_1", "batch_input_shape": [None, 4]}},
        {"class_name": "Dense", "config": {"name": "hidden", "units": 3}},
        {"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.5}},
        {"class_name": "Dense", "config": {"name": "out", "units": 2}}]}}
    kernels = {"hidden": rng.standard_normal((4, 3)).astype("<f4"), "out": rng.standard_normal((3, 2)).astype("<f4")}

    def weights(group_of):
        buf = io.BytesIO()
        with h5py.File(buf, "w") as f:
            for layer in ["hidden", "dropout", "out"]:
                g = f.create_group(group_of(layer) + "/vars")
                if layer in kernels:
                    g.create_dataset("0", data=kernels[layer])
                    g.create_dataset("1", data=np.zeros(kernels[layer].shape[1], dtype="<f4"))
            f.create_group("optimizer/vars")
        return buf.getvalue()

    def write(name, version, h5, method=zipfile.ZIP_STORED):
        with zipfile.ZipFile(os.path.join(HERE, name), "w") as z:
            z.writestr("metadata.json", json.dumps({"keras_version": version, "date_saved": "2024-01-01@00:00:00"}))
            z.writestr("config.json", json.dumps(config))
            z.writestr(zipfile.ZipInfo("model.weights.h5", (2024, 1, 1, 0, 0, 0)), h5, compress_type=method)

    write("tf2-archive.keras", "2.14.0", weights(lambda l: "_layer_checkpoint_dependencies/" + l))
    write("tf2-archive-windows.keras", "2.13.1", weights(lambda l: "_layer_checkpoint_dependencies\\" + l))
    snake = {"hidden": "dense", "dropout": "dropout", "out": "dense_1"}
    write("keras3-deflated.keras", "3.3.3", weights(lambda l: "layers/" + snake[l]), zipfile.ZIP_DEFLATED)


def expected(path):
    """What h5py reads back, in realh5/expected's format."""
    out = {"file": os.path.basename(path), "attrs": {}, "groups": [], "datasets": []}
    with h5py.File(path, "r") as f:
        def attrs_of(name, obj):
            d = {}
            for k in obj.attrs:
                v = obj.attrs[k]
                if isinstance(v, h5py.Empty):
                    d[k] = None
                elif isinstance(v, bytes):
                    d[k] = v.decode()
                elif isinstance(v, str):
                    d[k] = v
                elif isinstance(v, np.ndarray):
                    d[k] = [x.decode() if isinstance(x, bytes) else (x if isinstance(x, str) else x.item()) for x in v]
                else:
                    d[k] = v.item()
            if d:
                out["attrs"][name] = d

        attrs_of("/", f)

        def visit(name, obj):
            path = "/" + name
            attrs_of(path, obj)
            if isinstance(obj, h5py.Group):
                out["groups"].append(path)
                return
            rec = {"path": path, "shape": list(obj.shape), "dtype": str(obj.dtype.newbyteorder("<").name if obj.dtype.byteorder == ">" else obj.dtype.name), "layout": obj.id.get_create_plist().get_layout(), "compression": obj.compression}
            v = obj[()]
            if obj.dtype.kind == "f":
                rec["sha256_f32le"] = hashlib.sha256(np.asarray(v, dtype="<f4").tobytes()).hexdigest()
            elif obj.dtype.kind in "iu":
                rec["sha256_raw_le"] = hashlib.sha256(np.asarray(v).astype(obj.dtype.newbyteorder("<")).tobytes()).hexdigest()
            out["datasets"].append(rec)

        f.visititems(visit)
    with open(os.path.join(HERE, "expected", os.path.basename(path) + ".json"), "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    os.makedirs(os.path.join(HERE, "expected"), exist_ok=True)
    archives()
    for name, make in [("overflow_weights.h5", overflow_weights), ("types_and_layouts.h5", types_and_layouts), ("latest-layouts.h5", latest), ("latest-big-indexes.h5", big_indexes)]:
        p = os.path.join(HERE, name)
        make(p)
        expected(p)
