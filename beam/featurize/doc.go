// Package featurize is keel-beam's pipeline: it computes a frozen Keel
// backbone's features for every image a glob or a list names, on any Apache
// Beam runner (Prism in process, Flink, Spark, Dataflow), and writes them as
// a feature folder (package featureset of Keel's core module): .npy shards,
// manifest.json, and dead_letter.jsonl naming each file that could not be
// read or decoded, and why.
//
// The stages:
//
//	GLOB: fileio.MatchFiles | @LIST: textio.Read, one path a line
//	  -> filter.Distinct                  every image once
//	  -> fileio.ReadMatches               a ReadableFile per path
//	  -> featurizeFn (ParDo)              batches of Options.Batch files in a bundle:
//	                                      read, decode, resize, preprocess as keel train,
//	                                      run the backbone, write one shard per batch;
//	                                      unreadable files to the dead-letter output
//	Impulse -> finalizeFn (side inputs: shards, dead letters)
//	                                      manifest.json and dead_letter.jsonl
//
// The images are decoded, resized (PIL's nearest, Keras' load_img default)
// and preprocessed (the model's preprocess_input) as `keel train` feeds them
// to the backbone, so a head trained on these features by `keel train
// --features` is the head `keel train --data` trains on the same images.
//
// featurizeFn builds the model in Setup, once per worker process: the
// instances a worker runs share one model (nn.Model.Run is safe for
// concurrent calls) and Keel's one kernel thread pool. A shard's name is a
// hash of the images it holds, so a retried bundle rewrites the same file
// and the manifest, made from the committed outputs only, names every image
// exactly once.
package featurize
