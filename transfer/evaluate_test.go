package transfer

import (
	"math"
	"testing"

	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// Six images of three classes, scored by hand: the confusion matrix
// (rows true, columns predicted), sklearn's precision, recall, F1 and
// support, the misclassified images, and the crossentropy of the true
// classes' probabilities.
func TestScoreByHand(t *testing.T) {
	probs, err := nn.TensorOf([]float32{
		0.7, 0.2, 0.1, // cat -> cat
		0.4, 0.5, 0.1, // cat -> dog
		0.1, 0.8, 0.1, // dog -> dog
		0.2, 0.6, 0.2, // dog -> dog
		0.3, 0.3, 0.4, // fox -> fox
		0.6, 0.3, 0.1, // fox -> cat
	}, 6, 3)
	require.NoError(t, err)
	classes := []string{"cat", "dog", "fox"}
	paths := []string{"c/1", "c/2", "d/1", "d/2", "f/1", "f/2"}
	e, err := Score(classes, probs, []int{0, 0, 1, 1, 2, 2}, paths, nn.CategoricalCrossentropy{})
	require.NoError(t, err)
	require.Equal(t, [][]int{{1, 1, 0}, {0, 2, 0}, {1, 0, 1}}, e.Confusion)
	require.Equal(t, 6, e.Images)
	require.InDelta(t, 4.0/6, e.Accuracy, 1e-12)
	want := -(math.Log(0.7) + math.Log(0.4) + math.Log(0.8) + math.Log(0.6) + math.Log(0.4) + math.Log(0.1)) / 6
	require.InDelta(t, want, e.Loss, 1e-6)
	// cat: tp 1, predicted 2, support 2; dog: tp 2, predicted 3; fox: tp 1, predicted 1.
	for i, w := range []ClassScores{
		{"cat", 0.5, 0.5, 0.5, 2},
		{"dog", 2.0 / 3, 1, 0.8, 2},
		{"fox", 1, 0.5, 2.0 / 3, 2},
	} {
		g := e.PerClass[i]
		require.Equal(t, w.Class, g.Class)
		require.Equal(t, w.Support, g.Support)
		require.InDelta(t, w.Precision, g.Precision, 1e-12, w.Class)
		require.InDelta(t, w.Recall, g.Recall, 1e-12, w.Class)
		require.InDelta(t, w.F1, g.F1, 1e-12, w.Class)
	}
	require.Equal(t, []Misclassified{
		{Path: "c/2", True: "cat", Predicted: "dog", Probability: float64(float32(0.5))},
		{Path: "f/2", True: "fox", Predicted: "cat", Probability: float64(float32(0.6))},
	}, e.Misclassified)

	// The sparse loss gives the same figure from class indices.
	s, err := Score(classes, probs, []int{0, 0, 1, 1, 2, 2}, nil, nn.SparseCategoricalCrossentropy{})
	require.NoError(t, err)
	require.InDelta(t, want, s.Loss, 1e-6)
	require.Empty(t, s.Misclassified[0].Path)
}

// A class never predicted has precision 0 (sklearn's zero_division), and
// so F1 0; a one-unit sigmoid output scores two classes at p > 0.5.
func TestScoreEdges(t *testing.T) {
	probs, _ := nn.TensorOf([]float32{0.9, 0.8, 0.2, 0.6}, 4, 1)
	e, err := Score([]string{"neg", "pos"}, probs, []int{1, 1, 0, 0}, nil, nn.BinaryCrossentropy{})
	require.NoError(t, err)
	require.Equal(t, [][]int{{1, 1}, {0, 2}}, e.Confusion)
	require.InDelta(t, -(math.Log(0.9)+math.Log(0.8)+math.Log(0.8)+math.Log(0.4))/4, e.Loss, 1e-6)
	require.Equal(t, "neg", e.Misclassified[0].True)
	require.InDelta(t, 0.6, e.Misclassified[0].Probability, 1e-7)

	never, _ := nn.TensorOf([]float32{0.9, 0.1, 0.8, 0.2}, 2, 2)
	e, err = Score([]string{"a", "b"}, never, []int{0, 1}, nil, nn.CategoricalCrossentropy{})
	require.NoError(t, err)
	require.Equal(t, ClassScores{Class: "b", Support: 1}, e.PerClass[1])
	require.InDelta(t, 0.5, e.PerClass[0].Precision, 1e-12)

	_, err = Score([]string{"a", "b", "c"}, never, []int{0, 1}, nil, nn.CategoricalCrossentropy{})
	require.ErrorContains(t, err, "2 values per image for 3 classes")
	_, err = Score([]string{"a", "b"}, never, []int{0, 2}, nil, nn.CategoricalCrossentropy{})
	require.ErrorContains(t, err, "label 2 of image 1")
}
