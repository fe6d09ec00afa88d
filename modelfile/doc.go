// Package modelfile saves Keel models as Keras files and reads Keras files
// into Keel models: a whole model as a Keras full-model .h5 (model_config
// JSON plus weights, in Keras 2.3.1's layout, so Keras' load_model reads it)
// or as a Keras 3 .keras archive (config.json, metadata.json and
// model.weights.h5, as Keras 3.10 writes them), weights alone in Keras'
// save_weights layout, and weights loaded by layer name into a model built
// in Go. Load builds models from Keras 2 and Keras 3 configs. Keel records
// its own metadata (the preprocessing mode, input size and class names) as
// extra root attributes, which Keras ignores.
//
// It is Keel's one persistence layer: nn holds models and knows no file,
// weightsio reads and writes Keras' HDF5 layouts, and modelfile maps one
// onto the other, saving and loading weights and whole models.
package modelfile
