// Package featureset is the on-disk form of backbone features computed once
// for many images (keel-beam featurize writes it, keel train --features and
// keel evaluate --features read it): a folder of float32 .npy shards, each
// (rows, feature shape...), and manifest.json naming every image's row:
//
//	{"model": "mobilenet", "feature_shape": [7, 7, 256], "classes": ["cat", "dog"],
//	 "shards": ["shard-3f2a....npy", ...],
//	 "rows": [{"path": "data/cat/001.jpg", "class": "cat", "shard": "shard-3f2a....npy", "index": 0}, ...]}
//
// A row's class is the name of its image's parent folder; classes are the
// sorted class names, the label of a row its class's index there, as Keras'
// flow_from_directory numbers class folders. Load returns the rows in the
// order flow_from_directory lists the images (class, then folder, then file
// name), so that a validation split takes the same images as `keel train
// --data` would.
//
// Writing is in two parts so that a distributed writer can do it: EncodeShard
// for each batch (ShardName gives it a name that depends only on the images
// it holds, so a retried batch rewrites the same file), then NewManifest over
// all rows and Manifest.Encode. WriteDir does both for features held in memory.
package featureset
