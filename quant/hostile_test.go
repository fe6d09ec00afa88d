package quant

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/weightsio"
	"github.com/keelml/keel/weightsio/h5write"
)

// validFile quantizes the small net and returns the encoded file tree and
// its model_config, for the hostile cases to spoil.
func validFile(t testing.TB) (*Model, func(edit func(f *h5write.File, cfg string) string) []byte) {
	r := rand.New(rand.NewPCG(5, 6))
	m := smallNet(t, r)
	qm, _, err := Quantize(m, randomImages(r, 4, 12, 12, 3), Options{ErrorImages: 1})
	if err != nil {
		t.Fatal(err)
	}
	build := func(edit func(f *h5write.File, cfg string) string) []byte {
		f, err := qm.encode(modelfile.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			var cfg bytes.Buffer
			cfgOf(t, f, &cfg)
			if c := edit(f, cfg.String()); c != cfg.String() {
				f.Root().SetString("model_config", c)
			}
		}
		var b bytes.Buffer
		if _, err := f.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	return qm, build
}

// cfgOf reads the model_config back from an encoded tree.
func cfgOf(t testing.TB, f *h5write.File, out *bytes.Buffer) {
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	wf, err := weightsio.NewFile(bytes.NewReader(b.Bytes()), int64(b.Len()), "x.h5")
	if err != nil {
		t.Fatal(err)
	}
	out.Write(wf.ModelConfigJSON)
}

func readBytes(b []byte) (*Model, error) {
	f, err := weightsio.NewFile(bytes.NewReader(b), int64(len(b)), "hostile.int8.h5")
	if err != nil {
		return nil, err
	}
	return Read(f, "hostile.int8.h5")
}

// Hostile quantized files are errors that name the file and the layer or
// dataset, never a panic.
func TestReadHostileFiles(t *testing.T) {
	qm, build := validFile(t)
	if _, err := readBytes(build(nil)); err != nil {
		t.Fatalf("the valid file: %v", err)
	}
	conv := ""
	for _, o := range qm.ops {
		if o.class == classConv {
			conv = o.name
			break
		}
	}
	group := func(f *h5write.File) *h5write.Group { return f.Root().Group("model_weights/" + conv) }
	cases := []struct {
		name string
		edit func(f *h5write.File, cfg string) string
		want []string
	}{
		{"float32 kernel", func(f *h5write.File, cfg string) string {
			group(f).Dataset(conv+"/kernel:0", []int{3, 3, 3, 8}, make([]float32, 216))
			return cfg
		}, []string{conv, "kernel:0", "float32, not int8"}},
		{"int8 scales", func(f *h5write.File, cfg string) string {
			group(f).DatasetInt8(conv+"/kernel_scale:0", []int{8}, make([]int8, 8))
			return cfg
		}, []string{conv, "kernel_scale:0", "int8, not float32"}},
		{"scales of the wrong length", func(f *h5write.File, cfg string) string {
			group(f).Dataset(conv+"/kernel_scale:0", []int{3}, []float32{1, 1, 1})
			return cfg
		}, []string{conv, "kernel_scale:0", "shape [3]", "needs [8]"}},
		{"kernel smaller than declared", func(f *h5write.File, cfg string) string {
			group(f).DatasetInt8(conv+"/kernel:0", []int{3, 3, 3, 4}, make([]int8, 108))
			return cfg
		}, []string{conv, "kernel:0", "shape [3 3 3 4]"}},
		{"missing bias", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"name":"`+conv+`"`, `"name":"`+conv+`_x"`, 1)
		}, []string{conv, "no dataset"}},
		{"weight -128", func(f *h5write.File, cfg string) string {
			k := make([]int8, 216)
			k[5] = -128
			group(f).DatasetInt8(conv+"/kernel:0", []int{3, 3, 3, 8}, k)
			return cfg
		}, []string{conv, "-128"}},
		{"zero point out of range", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"keel_output_zero_point":0`, `"keel_output_zero_point":300`, 1)
		}, []string{"keel_output_zero_point", "0..255"}},
		{"negative scale", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"keel_output_scale":0.`, `"keel_output_scale":-0.`, 1)
		}, []string{"keel_output_scale", "positive"}},
		{"huge declared output", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"keel_output_shape":[6,6,8]`, `"keel_output_shape":[16000000,16000000,8]`, 1)
		}, []string{conv, "2^28"}},
		{"huge filters", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"keel_output_shape":[6,6,8]`, `"keel_output_shape":[6,6,100000000]`, 1)
		}, []string{conv}},
		{"unknown inbound layer", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `[["input_1",0,0,{}]]`, `[["nowhere",0,0,{}]]`, 1)
		}, []string{"nowhere", "not a layer before it"}},
		{"unknown Keel class", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"class_name":"KeelQuantMaxPooling2D"`, `"class_name":"KeelQuantSomething"`, 1)
		}, []string{"KeelQuantSomething"}},
		{"bad activation", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"activation":"relu6"`, `"activation":"gelu"`, 1)
		}, []string{"gelu"}},
		{"bad padding", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"padding":[[1,1],[1,1]]`, `"padding":[[1,1],[1,-5]]`, 1)
		}, []string{conv, "pads"}},
		{"window larger than the image", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"kernel_size":[3,3]`, `"kernel_size":[30,3]`, 1)
		}, []string{conv}},
		{"float32 head larger than the file", func(f *h5write.File, cfg string) string {
			return strings.Replace(cfg, `"units":5`, `"units":2000000000`, 1)
		}, []string{"dense_1", "the file holds"}},
		{"wrong version", func(f *h5write.File, cfg string) string {
			f.Root().SetString(AttrFormat, "int4/9")
			return cfg
		}, []string{AttrFormat, "int4/9"}},
		{"not JSON", func(f *h5write.File, cfg string) string { return cfg[:len(cfg)/2] }, []string{"hostile.int8.h5"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readBytes(build(c.edit))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			for _, w := range append(c.want, "hostile.int8.h5") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}

// FuzzReadQuantized: any bytes are a model or an error, never a panic.
func FuzzReadQuantized(f *testing.F) {
	_, build := validFile(f)
	f.Add(build(nil))
	f.Add(build(func(_ *h5write.File, cfg string) string {
		return strings.Replace(cfg, `"keel_output_zero_point":0`, `"keel_output_zero_point":255`, 1)
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := readBytes(b)
		if err == nil {
			if _, err := m.NN(); err != nil {
				t.Skip()
			}
		}
	})
}

// Sizes, offsets and counts set to huge values anywhere in a valid file
// give an error (or a model), never a panic or a hang.
func TestReadHugeFields(t *testing.T) {
	if testing.Short() {
		t.Skip("a sweep over the file's fields")
	}
	_, build := validFile(t)
	good := build(nil)
	for _, val := range []uint64{0xFFFFFFFF, 1 << 40} {
		for pos := 0; pos+8 <= len(good); pos += 5 {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint64(b[pos:], val)
			if m, err := readBytes(b); err == nil {
				if _, err := m.NN(); err != nil {
					t.Errorf("byte %d = %#x: read, then NN: %v", pos, val, err)
				}
			}
		}
	}
}
