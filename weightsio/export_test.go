package weightsio_test

// newLayoutsSupported includes the h5repack copies in the newer HDF5 layouts.
const newLayoutsSupported = false
