package hdf5

// readChunked assembles a chunked dataset's size bytes.
func (d *Dataset) readChunked(size int) ([]byte, error) {
	return nil, unsupportedf("chunked layout")
}
