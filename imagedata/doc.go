// Package imagedata turns folders of photos into batches of float32 tensors the
// way Keras does, so a model fine-tuned in Keras sees the same pixels here.
//
// ListDirectory reads a directory with one sub-folder per class as Keras'
// flow_from_directory does (classes sorted by name, nested folders walked in
// sorted order; with a validation split the validation subset is the first
// fraction of each class's sorted files) or, with DatasetFromDirectory, as
// image_dataset_from_directory does (one numpy-seeded shuffle of all files,
// validation = the last fraction).
//
// Decoding reads JPEG, PNG, GIF, BMP and WebP and converts every mode to RGB as
// PIL's convert('RGB') does: alpha dropped (not composited), palette colours
// looked up (a GIF's transparent entry keeps its stored colour), 16-bit grey
// clipped. JPEG goes through a copy of Go's decoder with libjpeg's islow IDCT
// (internal/jpeg), then libjpeg's "fancy" chroma upsampling and colour tables;
// lossy WebP through libwebp's upsampler and limited-range conversion. Every
// format matches PIL bit for bit on the reference files.
//
// ResizePIL is PIL's Image.resize (what load_img calls): nearest by default,
// and bilinear, bicubic, box, hamming and lanczos with PIL's fixed-point
// coefficients and antialiasing support when shrinking; it matches Pillow
// exactly. ResizeTFBilinear is tf.image.resize's bilinear (half-pixel centres,
// no antialiasing), what image_dataset_from_directory calls; on that path
// JPEGs are decoded with libjpeg's fast IDCT, TensorFlow's default.
//
// Augment carries ImageDataGenerator's parameters under their Keras names.
// RandomTransform draws them from a numpy-compatible MT19937 (Rand) in Keras'
// order; Apply runs apply_transform and standardize: the affine matrix about
// Keras' centre, scipy's order-1 resampling and fill modes, channel shift,
// flips, PIL's brightness enhancement, then the preprocessing hook (Keras'
// preprocessing_function; PreprocessCaffe, PreprocessTF and PreprocessTorch
// are Keras' three preprocess_input modes) and rescale.
//
// Loader batches a Listing: the same per-batch reseeding as Keras' Iterator
// (so order and augmentation follow the seed, not the timing), categorical,
// sparse or binary labels, decoding on a pool of goroutines with at most
// Prefetch batches in flight, corrupt files skipped and counted or fatal, and
// cancellation through a context. Tensors are float32, NHWC, RGB, 0..255
// before preprocessing, as Keras' img_to_array produces them.
//
// The reference outputs in testdata/images come from the real Pillow, scipy
// and keras_preprocessing (scripts/imagedata/make_refs.py).
package imagedata
