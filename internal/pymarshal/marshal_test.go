package pymarshal

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
)

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(s, "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Code objects that Keras 2 stored in real files, each written by another
// Python version, decode to what their Python source says.
func TestDecodeRealLambdas(t *testing.T) {
	cases := []struct {
		what, b64 string
		layout    Layout
		name      string
		consts    []any
		names     []string
		freeVars  []string
	}{
		{"deepfm lambda x: x * 0.5 (Python 3.7)",
			"4wEAAAAAAAAAAQAAAAIAAABTAAAAcwgAAAB8AGQBFABTACkCTmcAAAAAAADgP6kAKQHaAXhyAQAAAHIBAAAA+h48aXB5dGhvbi1pbnB1dC05LWMxODgyNTllNmEyNz7aCDxsYW1iZGE+HQAAAPMAAAAA",
			Py35to37, "<lambda>", []any{nil, 0.5}, nil, nil},
		{"deepfm lambda x: K.mean(x, axis=1, keepdims=keepdims)",
			"4wEAAAAAAAAAAQAAAAUAAAATAAAAcxAAAAB0AGoBfABkAYgAZAKNA1MAKQNO6QEAAAApAtoEYXhpc9oIa2VlcGRpbXMpAtoBS9oEbWVhbikB2gF4KQFyAwAAAKkA+h48aXB5dGhvbi1pbnB1dC04LTg4YmM1YjdjMzk2Yj7aCDxsYW1iZGE+AgAAAPMAAAAA",
			Py35to37, "<lambda>", []any{nil, int64(1), []any{"axis", "keepdims"}}, []string{"K", "mean"}, []string{"keepdims"}},
		{"st_efficientnet lambda x: tf.clip_by_value(x, clip_value_min=-4.0, clip_value_max=4.0) (Python 3.8-3.10)",
			"4wEAAAAAAAAAAAAAAAEAAAAFAAAAUwAAAHMQAAAAdABqAXwAZAFkAmQDjQNTACkETmcAAAAAAAAQwGcAAAAAAAAQQCkC2g5jbGlwX3ZhbHVlX21pbtoOY2xpcF92YWx1ZV9tYXgpAtoCdGbaDWNsaXBfYnlfdmFsdWUpAdoBeKkAcgYAAAB6aC9sb2NhbC9ob21lL2ZycTAyNTMwL216b292Ml8xME9jdDIwMjMvZXh0ZXJuYWxfbW9kZWxfem9vL2ltYWdlX2NsYXNzaWZpY2F0aW9uL3NyYy9tb2RlbHMvY3VzdG9tX21vZGVsLnB52gg8bGFtYmRhPnoAAABzAgAAABAA",
			Py38to310, "<lambda>", []any{nil, -4.0, 4.0, []any{"clip_value_min", "clip_value_max"}}, []string{"tf", "clip_by_value"}, nil},
		{"space_to_depth_x2: def with a docstring, import tensorflow as tf",
			"4wEAAAAAAAAAAgAAAAQAAABDAAAAcxYAAABkAWQCbAB9AXwBagF8AGQDZASNAlMAKQX6PVRoaW4gd3JhcHBlciBmb3IgVGVuc29yZmxvdyBzcGFjZV90b19kZXB0aCB3aXRoIGJsb2NrX3NpemU9Mi7pAAAAAE7pAgAAACkB2gpibG9ja19zaXplKQLaCnRlbnNvcmZsb3faDnNwYWNlX3RvX2RlcHRoKQLaAXjaAnRmqQByCQAAAPoYc3BhY2VfdG9fZGVwdGhfc2ltcGxlLnB52hFzcGFjZV90b19kZXB0aF94MgwAAABzBAAAAAAECAE=",
			Py35to37, "space_to_depth_x2", []any{"Thin wrapper for Tensorflow space_to_depth with block_size=2.", int64(0), nil, int64(2), []any{"block_size"}}, []string{"tensorflow", "space_to_depth"}, nil},
		{"lambda x: x / 127.5 - 1 (Python 3.11)",
			"4wEAAAAAAAAAAAAAAAIAAAADAAAA8xIAAACXAHwAZAF6CwAAZAJ6CgAAUwApA07nAAAAAADgX0DpAQAAAKkAqQHaAXhzAQAAACD6CDxzdHJpbmc++gg8bGFtYmRhPnIIAAAAAwAAAHMOAAAAgACQQZgFkUmgAZFNgADzAAAAAA==",
			Py311, "<lambda>", []any{nil, 127.5, int64(1)}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			code, err := Decode(mustB64(t, c.b64))
			if err != nil {
				t.Fatal(err)
			}
			if code.Layout != c.layout || code.Name != c.name || code.ArgCount != 1 {
				t.Errorf("layout %v name %q args %d", code.Layout, code.Name, code.ArgCount)
			}
			if !reflect.DeepEqual(code.Consts, c.consts) {
				t.Errorf("consts %#v, want %#v", code.Consts, c.consts)
			}
			if !reflect.DeepEqual(code.Names, c.names) || !reflect.DeepEqual(code.FreeVars, c.freeVars) {
				t.Errorf("names %v free %v", code.Names, code.FreeVars)
			}
		})
	}
}

func TestDecodeRefusesBadData(t *testing.T) {
	good := mustB64(t, "4wEAAAAAAAAAAQAAAAIAAABTAAAAcwgAAAB8AGQBFABTACkCTmcAAAAAAADgP6kAKQHaAXhyAQAAAHIBAAAA+h48aXB5dGhvbi1pbnB1dC05LWMxODgyNTllNmEyNz7aCDxsYW1iZGE+HQAAAPMAAAAA")
	for _, c := range []struct {
		what string
		b    []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-3]},
		{"trailing bytes", append(append([]byte{}, good...), 0)},
		{"not code", []byte{'N'}},
		{"reference to nothing", []byte{'r', 5, 0, 0, 0}},
		{"unknown type", []byte{'?'}},
		{"huge length", []byte{'s', 0xff, 0xff, 0xff, 0x7f}},
		{"deep nesting", []byte(strings.Repeat("(\x01\x00\x00\x00", 40) + "N")},
	} {
		if _, err := Decode(c.b); err == nil {
			t.Errorf("%s: no error", c.what)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(mustB64(f, "4wEAAAAAAAAAAQAAAAIAAABTAAAAcwgAAAB8AGQBFABTACkCTmcAAAAAAADgP6kAKQHaAXhyAQAAAHIBAAAA+h48aXB5dGhvbi1pbnB1dC05LWMxODgyNTllNmEyNz7aCDxsYW1iZGE+HQAAAPMAAAAA"))
	f.Add(mustB64(f, "4wEAAAAAAAAAAAAAAAIAAAADAAAA8xIAAACXAHwAZAF6CwAAZAJ6CgAAUwApA07nAAAAAADgX0DpAQAAAKkAqQHaAXhzAQAAACD6CDxzdHJpbmc++gg8bGFtYmRhPnIIAAAAAwAAAHMOAAAAgACQQZgFkUmgAZFNgADzAAAAAA=="))
	f.Add([]byte("(\x02\x00\x00\x00Ng\x00\x00\x00\x00\x00\x00\xe0?"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode(b)
		if err == nil && c == nil {
			t.Fatal("no code and no error")
		}
	})
}
