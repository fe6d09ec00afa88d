package zoo

import "github.com/keelml/keel/nn"

// flatLayers lists the layers of m, descending into nested models.
func flatLayers(m *nn.Model) []nn.Layer {
	var out []nn.Layer
	for _, l := range m.Layers() {
		if sub, ok := l.(*nn.Model); ok {
			out = append(out, flatLayers(sub)...)
			continue
		}
		out = append(out, l)
	}
	return out
}
