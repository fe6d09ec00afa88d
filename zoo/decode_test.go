package zoo

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodePredictions(t *testing.T) {
	preds := make([]float32, 2*1000)
	preds[386] = 0.7 // African_elephant
	preds[293] = 0.2 // cheetah
	preds[1000+1] = 0.9
	got, err := DecodePredictions(preds, 2, 2)
	require.NoError(t, err)
	require.Equal(t, Prediction{386, "n02504458", "African_elephant", 0.7}, got[0][0])
	require.Equal(t, "cheetah", got[0][1].Name)
	require.Equal(t, 1, got[1][0].Index)
	require.Len(t, got[1], 2)

	_, err = DecodePredictions(make([]float32, 999), 1, 5)
	require.ErrorContains(t, err, "1000-class")
}

func ExampleDecodePredictions() {
	scores := make([]float32, 1000)
	scores[386], scores[101] = 0.9, 0.05
	top, _ := DecodePredictions(scores, 1, 2)
	for _, p := range top[0] {
		fmt.Printf("%s %s %.2f\n", p.WordNet, p.Name, p.Score)
	}
	// Output:
	// n02504458 African_elephant 0.90
	// n01871265 tusker 0.05
}
