package weightsio

import "strconv"

// Keras3Object is one object of a Keras 3 weights file (a model, a layer,
// the optimizer), addressed as Keras 3's saving_lib addresses it: its path,
// such as "layers/conv2d" or "layers/functional/layers/dense_1" ("" for the
// model itself).
type Keras3Object struct {
	// Found says the file holds the object's vars group.
	Found bool
	// Name is the vars group's "name" attribute (the layer's name, which
	// Keras 3.8 and later record), or "" when absent.
	Name string
	// Vars are the datasets of <path>/vars in numeric order (0, 1, ..., 10).
	Vars []Weight
}

// Keras3Object reads the object at path of a Keras 3 weights file or .keras
// archive; Found is false when the file has no such object.
func (f *File) Keras3Object(path string) (Keras3Object, error) {
	var obj Keras3Object
	if f.h5 == nil {
		return obj, nil
	}
	root, err := f.h5.Root()
	if err != nil {
		return obj, err
	}
	varsPath := "vars"
	if path != "" {
		varsPath = path + "/vars"
	}
	vars, err := root.Group(varsPath)
	if err != nil {
		if _, missing := root.Open(varsPath); missing != nil {
			return obj, nil
		}
		return obj, err
	}
	obj.Found = true
	if a, err := vars.Attr("name"); err == nil && a != nil {
		if s, err := a.String(); err == nil {
			obj.Name = s
		}
	}
	if err := appendVars(vars, "vars/", &obj.Vars); err != nil {
		return obj, err
	}
	return obj, nil
}

// Keras3Namer names the objects of one container (a model's layers) as
// Keras 3's saving_lib does: by class in snake case, the first of a class
// bare and the next ones numbered from 1 (conv2d, conv2d_1, ...), since
// Keras 3 never addresses saved objects by their own names.
type Keras3Namer struct{ used map[string]int }

// Next is the name of the container's next object of Keras class class.
func (n *Keras3Namer) Next(class string) string {
	if n.used == nil {
		n.used = map[string]int{}
	}
	name := toSnakeCase(class)
	k, seen := n.used[name]
	if !seen {
		n.used[name] = 0
		return name
	}
	n.used[name] = k + 1
	return name + "_" + strconv.Itoa(k+1)
}

// Keras3Children maps the name attribute of each object directly under
// path+"layers" (path "" or ending in "/") to the object's path, for the
// objects whose vars group has one (Keras 3.8 and later write them); a
// name given twice maps to its first object.
func (f *File) Keras3Children(path string) (map[string]string, error) {
	out := map[string]string{}
	if f.h5 == nil {
		return out, nil
	}
	root, err := f.h5.Root()
	if err != nil {
		return nil, err
	}
	g, err := root.Group(path + "layers")
	if err != nil {
		return out, nil // no layers: nothing to name
	}
	links, err := g.Links()
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if !l.IsHard() {
			continue
		}
		obj, err := f.Keras3Object(path + "layers/" + l.Name)
		if err != nil {
			return nil, err
		}
		if _, dup := out[obj.Name]; obj.Name != "" && !dup {
			out[obj.Name] = path + "layers/" + l.Name
		}
	}
	return out, nil
}
