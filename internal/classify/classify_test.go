package classify

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"testing"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
	"github.com/stretchr/testify/require"
)

func TestTopKRanksAndKeepsTiesInOrder(t *testing.T) {
	for _, c := range []struct {
		scores []float32
		k      int
		want   []int
	}{
		{[]float32{0.1, 0.7, 0.2}, 2, []int{1, 2}},
		{[]float32{0.5, 0.2, 0.5}, 3, []int{0, 2, 1}},
		{[]float32{0.3, 0.9}, 5, []int{1, 0}},
	} {
		require.Equal(t, c.want, TopK(c.scores, c.k), "%v", c.scores)
	}
}

func TestNamedTopKNamesByIndexPastTheNames(t *testing.T) {
	got := NamedTopK([]float32{0.1, 0.2, 0.7, 0.6, 0.3, 0.1}, 2, 1, []string{"a", "b"})
	require.Equal(t, [][]Score{{{Class: "2", Index: 2, Probability: 0.7}}, {{Class: "a", Index: 0, Probability: 0.6}}}, got)
}

func TestInputOf(t *testing.T) {
	m, err := nn.Sequential([]int{12, 10, 3}, nn.NewGlobalAveragePooling2D())
	require.NoError(t, err)
	size, mode, err := InputOf(m, modelfile.Meta{}, "")
	require.NoError(t, err)
	require.Equal(t, 12, size, "the model's own height when the file is silent")
	require.Equal(t, zoo.PreprocessNone, mode)
	size, mode, err = InputOf(m, modelfile.Meta{InputSize: 32, Preprocess: "tf"}, "caffe")
	require.NoError(t, err)
	require.Equal(t, 32, size)
	require.Equal(t, zoo.PreprocessCaffe, mode)
	_, _, err = InputOf(m, modelfile.Meta{Preprocess: "sideways"}, "")
	require.ErrorContains(t, err, "sideways")
	h, w := ImageSize(m, 99)
	require.Equal(t, []int{12, 10}, []int{h, w})
}

func TestDecodeRefusesByTheHeader(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 30, 20))))
	_, err := Decode(b.Bytes(), 599)
	require.True(t, errors.Is(err, imagedata.ErrTooLarge), "%v", err)
	img, err := Decode(b.Bytes(), 600)
	require.NoError(t, err)
	require.Equal(t, []int{30, 20}, []int{img.W, img.H})
	_, err = Decode([]byte("plain text"), 600)
	require.ErrorContains(t, err, "not an image")
}
