package modelfile_test

import (
	"archive/zip"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/keelml/keel/zoo"
	"github.com/stretchr/testify/require"
)

// nestedSequentialModel applies a Sequential head inside a functional model,
// twice-applied layers included: Keras 3 counts a Sequential's nodes from 0,
// a Functional's from 1.
func nestedSequentialModel(t *testing.T) *nn.Model {
	head, err := nn.Sequential([]int{4, 4, 3}, nn.NewConv2D(2, 1, 1, nn.WithName("head_conv")), nn.NewFlatten(nn.WithName("head_flat")))
	require.NoError(t, err)
	in := nn.Input([]int{4, 4, 3}, nn.WithName("img"))
	shared := nn.NewConv2D(3, 3, 3, nn.WithPadding("same"), nn.WithName("shared"))
	x := shared.Apply(shared.Apply(in))
	y := nn.NewDense(2, nn.WithName("out")).Apply(head.Apply(nn.NewAdd(nn.WithName("add")).Apply(x, in)))
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{y}, nn.WithName("outer"))
	require.NoError(t, err)
	return m
}

func nestedMobileNet(t *testing.T) *nn.Model {
	base, err := zoo.New("mobilenet", zoo.Options{Alpha: 0.25, InputShape: []int{32, 32, 3}, Notices: io.Discard})
	require.NoError(t, err)
	base.SetTrainable(false)
	in := nn.Input([]int{32, 32, 3}, nn.WithName("image"))
	x := nn.NewGlobalMaxPooling2D().Apply(base.Apply(in))
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{nn.NewDense(3).Apply(x)}, nn.WithName("outer"))
	require.NoError(t, err)
	return m
}

// A .keras archive Keel saves loads back in Keel with identical outputs,
// metadata and frozen flags, for flat, nested and shared-layer models.
func TestKeras3ArchiveRoundTrip(t *testing.T) {
	meta := modelfile.Meta{Preprocess: "tf", InputSize: 32, ClassNames: []string{"cat", "dog", "emu", "yak"}}
	for _, c := range []struct {
		name  string
		model func(*testing.T) *nn.Model
		meta  modelfile.Meta
		size  int
	}{
		{"mobilenet backbone with a frozen flag and a new head", transferModel, meta, 32},
		{"mobilenet nested as one layer", nestedMobileNet, modelfile.Meta{}, 32},
		{"nested Sequential and a shared layer", nestedSequentialModel, modelfile.Meta{}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := c.model(t)
			x := input(t, 2, c.size)
			want, err := m.Run(x)
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), "model.keras")
			require.NoError(t, modelfile.Save(path, m, c.meta))

			back, gotMeta, err := modelfile.Load(path)
			require.NoError(t, err)
			require.Equal(t, c.meta, gotMeta)
			got, err := back.Run(x)
			require.NoError(t, err)
			require.Equal(t, want[0].Data, got[0].Data, "identical outputs")
			total, trainable, _ := m.ParamCounts()
			gotTotal, gotTrainable, _ := back.ParamCounts()
			require.Equal(t, []int{total, trainable}, []int{gotTotal, gotTrainable}, "weights and frozen flags")

			f, err := weightsio.Open(path)
			require.NoError(t, err)
			defer f.Close()
			require.Equal(t, weightsio.FormatArchive, f.Format)
			require.Equal(t, weightsio.Keras3Version, f.KerasVersion)
		})
	}
}

// archiveParts reads a .keras archive's members (name and method, in
// order), metadata.json's keys in order, config.json, and the vars groups
// of model.weights.h5 with their name attributes and datasets' shapes.
type archiveParts struct {
	members  []string
	metaKeys []string
	config   map[string]any
	objects  map[string]string // object path -> name attribute
	datasets map[string][]int  // dataset path -> shape
}

func readArchiveParts(t *testing.T, path string) archiveParts {
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var p archiveParts
	for _, zf := range zr.File {
		require.Equal(t, zip.Store, zf.Method, "%s is STORED", zf.Name)
		p.members = append(p.members, zf.Name)
		rc, err := zf.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		switch zf.Name {
		case "metadata.json":
			p.metaKeys = objectKeys(b)
		case "config.json":
			require.NoError(t, json.Unmarshal(b, &p.config))
		}
	}
	f, err := weightsio.Open(path)
	require.NoError(t, err)
	defer f.Close()
	p.objects, p.datasets = map[string]string{}, map[string][]int{}
	var walk func(cfg map[string]any, prefix string)
	walk = func(cfg map[string]any, prefix string) {
		var namer weightsio.Keras3Namer
		inner, _ := cfg["config"].(map[string]any)
		layers, _ := inner["layers"].([]any)
		for _, l := range layers {
			lm := l.(map[string]any)
			class := lm["class_name"].(string)
			if class == "InputLayer" && cfg["class_name"] == "Sequential" {
				continue
			}
			objPath := prefix + "layers/" + namer.Next(class)
			obj, err := f.Keras3Object(objPath)
			require.NoError(t, err)
			require.True(t, obj.Found, objPath)
			p.objects[objPath] = obj.Name
			for _, v := range obj.Vars {
				p.datasets[v.Path] = v.Shape
			}
			if class == "Functional" || class == "Sequential" {
				walk(lm, objPath+"/")
			}
		}
	}
	walk(p.config, "")
	root, err := f.Keras3Object("")
	require.NoError(t, err)
	p.objects[""] = root.Name
	return p
}

// layerKeys lists, per layer of a model config, its entry's keys and its
// config's keys, in order.
func layerKeys(raw []byte) [][]string {
	var out [][]string
	var ordered struct {
		Config struct {
			Layers []json.RawMessage `json:"layers"`
		} `json:"config"`
	}
	_ = json.Unmarshal(raw, &ordered)
	for _, l := range ordered.Config.Layers {
		out = append(out, append(objectKeys(l), objectKeys(configOf(l))...))
	}
	return out
}

func configOf(raw json.RawMessage) json.RawMessage {
	var e struct {
		Config json.RawMessage `json:"config"`
	}
	_ = json.Unmarshal(raw, &e)
	return e.Config
}

// objectKeys are the keys of a JSON object, in order.
func objectKeys(raw []byte) []string {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return keys
		}
	}
	return keys
}

// Keel saves the real Keras 3 archives' models laid out as Keras 3 saved
// them: the same members in the same order, STORED; metadata.json's keys;
// config.json's keys, model and layer by layer; the same objects with the
// same name attributes and datasets of the same shapes (the optimizer's
// aside: Keel saves no training state in .keras archives).
func TestKeras3ArchiveLayoutMatchesKeras(t *testing.T) {
	for _, c := range []struct {
		file string
		// ragged is InputLayer's key since Keras 3.10; Keel writes 3.10.
		ragged bool
	}{
		{"cnn-fashion-mnist-classifier/model.keras", true},
		{"helia-edge/model.keras", false},
	} {
		t.Run(c.file, func(t *testing.T) {
			src := testenv.Shared(t, "realh5", c.file)
			m, _, err := modelfile.Load(src)
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), "model.keras")
			require.NoError(t, modelfile.Save(path, m, modelfile.Meta{}))
			want, got := readArchiveParts(t, src), readArchiveParts(t, path)
			require.Equal(t, want.members, got.members)
			require.Equal(t, []string{"keras_version", "date_saved"}, got.metaKeys)
			require.Equal(t, want.objects, got.objects)
			require.Equal(t, want.datasets, got.datasets)

			wantRaw, gotRaw := readMember(t, src, "config.json"), readMember(t, path, "config.json")
			top := slices.DeleteFunc(objectKeys(wantRaw), func(k string) bool { return k == "compile_config" })
			require.Equal(t, top, objectKeys(gotRaw), "model keys")
			require.Equal(t, objectKeys(configOf(wantRaw)), objectKeys(configOf(gotRaw)), "model config keys")
			wantLayers, gotLayers := layerKeys(wantRaw), layerKeys(gotRaw)
			require.Len(t, gotLayers, len(wantLayers))
			for i := range wantLayers {
				w := wantLayers[i]
				if !c.ragged && i == 0 {
					w = slices.Insert(w, slices.Index(w, "sparse")+1, "ragged")
				}
				require.Equal(t, w, gotLayers[i], "layer %d", i)
			}
		})
	}
}

func readMember(t *testing.T, path, name string) []byte {
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	rc, err := zr.Open(name)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

// LoadWeights reads a Keras 3 file into a model built in Go as Keras 3's
// load_weights does, by each layer's place, nested models included and
// whatever the layers are called; a model of another shape is refused.
func TestLoadWeightsByKeras3Layout(t *testing.T) {
	for _, c := range []struct {
		name      string
		model     func(*testing.T) *nn.Model
		into      func(*testing.T) *nn.Model
		size      int
		wantError string
	}{
		{"nested mobilenet, fresh names", nestedMobileNet, nestedMobileNet, 32, ""},
		{"frozen backbone and head", transferModel, transferModel, 32, ""},
		{"nested Sequential and a shared layer", nestedSequentialModel, nestedSequentialModel, 4, ""},
		{"another architecture", nestedMobileNet, transferModel, 32, "by Keras 3's layout"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := c.model(t)
			path := filepath.Join(t.TempDir(), "m.keras")
			require.NoError(t, modelfile.Save(path, m, modelfile.Meta{}))
			into := c.into(t)
			rep, err := modelfile.LoadWeights(into, path, false)
			if c.wantError != "" {
				require.ErrorContains(t, err, c.wantError)
				return
			}
			require.NoError(t, err)
			require.Empty(t, rep.Unused)
			x := input(t, 2, c.size)
			want, err := m.Run(x)
			require.NoError(t, err)
			got, err := into.Run(x)
			require.NoError(t, err)
			require.Equal(t, want[0].Data, got[0].Data)
		})
	}
}

// The real fashion-MNIST archive loads into the same CNN built in Go with
// other layer names: Keras 3 addresses layers by place.
func TestRealKeras3ArchiveIntoRenamedModel(t *testing.T) {
	src := testenv.Shared(t, "realh5", "cnn-fashion-mnist-classifier/model.keras")
	m, err := nn.Sequential([]int{28, 28, 1},
		nn.NewConv2D(32, 3, 3, nn.WithName("c1"), nn.WithActivation("relu")), nn.NewMaxPooling2D(2, 2, nn.WithName("p1")),
		nn.NewConv2D(64, 3, 3, nn.WithName("c2"), nn.WithActivation("relu")), nn.NewMaxPooling2D(2, 2, nn.WithName("p2")),
		nn.NewFlatten(nn.WithName("f")), nn.NewDropout(0.5, nn.WithName("drop")),
		nn.NewDense(64, nn.WithName("d1"), nn.WithActivation("relu")), nn.NewDense(10, nn.WithName("d2"), nn.WithActivation("softmax")))
	require.NoError(t, err)
	rep, err := modelfile.LoadWeights(m, src, false)
	require.NoError(t, err)
	require.Equal(t, []string{"conv2d -> c1", "conv2d_1 -> c2", "dense -> d1", "dense_1 -> d2"}, rep.Renamed)
	ref, _, err := modelfile.Load(src)
	require.NoError(t, err)
	x := nn.NewTensor(2, 28, 28, 1)
	for i := range x.Data {
		x.Data[i] = float32(i%13) / 13
	}
	want, err := ref.Run(x)
	require.NoError(t, err)
	got, err := m.Run(x)
	require.NoError(t, err)
	require.Equal(t, want[0].Data, got[0].Data)
}

// An archive whose weights do not fit its config is refused, naming the
// file, the layer and what is wrong.
func TestKeras3ArchiveWeightsMismatch(t *testing.T) {
	head, err := nn.Sequential([]int{3}, nn.NewDense(2, nn.WithName("d")))
	require.NoError(t, err)
	cfg, err := head.Keras3JSON()
	require.NoError(t, err)
	kernel := weightsio.SavedWeight{Shape: []int{3, 2}, Data: make([]float32, 6)}
	bias := weightsio.SavedWeight{Shape: []int{2}, Data: make([]float32, 2)}
	// other holds values enough for the model's, so that what the file
	// holds bounds nothing and the layout is what is checked.
	other := weightsio.SavedObject{Path: "layers/other", Name: "other", Vars: []weightsio.SavedWeight{{Shape: []int{8}, Data: make([]float32, 8)}}}
	for _, c := range []struct {
		name    string
		objects []weightsio.SavedObject
		want    string
	}{
		{"no object", []weightsio.SavedObject{{Name: "s"}, other}, "d: not in the file (no layers/dense/vars)"},
		{"a weight short", []weightsio.SavedObject{{Name: "s"}, {Path: "layers/dense", Name: "d", Vars: []weightsio.SavedWeight{kernel}}, other}, "the model has 2 weights, the file's layers/dense 1"},
		{"another shape", []weightsio.SavedObject{{Name: "s"}, {Path: "layers/dense", Name: "d", Vars: []weightsio.SavedWeight{kernel, {Shape: []int{3}, Data: make([]float32, 3)}}}}, "bias has shape [2] in the model, [3] in the file"},
		{"another layer's object", []weightsio.SavedObject{{Name: "s"}, {Path: "layers/dense", Name: "e", Vars: []weightsio.SavedWeight{kernel, bias}}}, `the file's layers/dense holds layer "e"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.keras")
			require.NoError(t, weightsio.SaveArchive(path, cfg, c.objects, weightsio.ArchiveOptions{}))
			_, _, err := modelfile.Load(path)
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, c.want)
		})
	}
}
