package weightsio

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/keelml/keel/weightsio/hdf5"
)

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// stringAttr reads an optional scalar string attribute.
func stringAttr(obj hdf5.Object, name string) (string, bool, error) {
	a, err := obj.Attr(name)
	if errors.Is(err, hdf5.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	s, err := a.String()
	return s, err == nil, err
}

// hasAttrList reports whether a Keras list attribute exists, whole or split.
func hasAttrList(obj hdf5.Object, name string) bool {
	if _, err := obj.Attr(name); err == nil {
		return true
	}
	_, err := obj.Attr(name + "0")
	return err == nil
}

// attrList reads a Keras list attribute such as layer_names: a 1-D string
// array, or, when it outgrew HDF5's 64 KiB attribute limit, the chunks
// name0, name1, ... in order. An empty list is stored as an empty float64
// array. ok is false when the attribute is absent.
func attrList(obj hdf5.Object, name string) (list []string, ok bool, err error) {
	attrs, err := obj.Attrs()
	if err != nil {
		return nil, false, err
	}
	byName := make(map[string]*hdf5.Attribute, len(attrs))
	for _, a := range attrs {
		byName[a.Name] = a
	}
	if a, ok := byName[name]; ok {
		list, err = listValue(a)
		return list, true, err
	}
	for i := 0; ; i++ {
		a, ok := byName[name+strconv.Itoa(i)]
		if !ok {
			return list, i > 0, nil
		}
		part, err := listValue(a)
		if err != nil {
			return nil, false, err
		}
		list = append(list, part...)
	}
}

func listValue(a *hdf5.Attribute) ([]string, error) {
	if !a.Type.IsString() && a.Len() == 0 {
		return nil, nil // Keras' empty list: a float64 array of length 0
	}
	return a.Strings()
}
