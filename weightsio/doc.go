// Package weightsio reads the weight files Keras users hold, on top of the
// pure-Go HDF5 reader in weightsio/hdf5: legacy Keras 1/2 and tf.keras `.h5`
// weights files (save_weights), full-model `.h5` files (model_weights plus the
// model_config JSON), Keras 3 `.weights.h5` files, and `.keras` zip archives
// (Keras 3, and the older tf.keras 2.13-2.15 layout).
//
// Open detects the layout and returns the layers in file order, each with its
// named weights; a Weight reads its values as float32 whatever the stored
// type. The HDF5 tree stays reachable through File.HDF5 for tools such as
// `keel inspect`.
package weightsio
