package zoo

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
)

// The ImageNet-1k class index Keras' decode_predictions uses: index ->
// [WordNet id, name].
//
//go:embed imagenet_class_index.json
var classIndexJSON []byte

var (
	classIndexOnce sync.Once
	classIndex     [][2]string
	classIndexErr  error
)

func imagenetClasses() ([][2]string, error) {
	classIndexOnce.Do(func() {
		var m map[string][2]string
		if err := json.Unmarshal(classIndexJSON, &m); err != nil {
			classIndexErr = fmt.Errorf("imagenet class index: %w", err)
			return
		}
		classIndex = make([][2]string, len(m))
		for k, v := range m {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(m) {
				classIndexErr = fmt.Errorf("imagenet class index: bad key %q", k)
				return
			}
			classIndex[i] = v
		}
	})
	return classIndex, classIndexErr
}

// Prediction is one decoded class.
type Prediction struct {
	Index   int
	WordNet string // e.g. "n02504458"
	Name    string // e.g. "African_elephant"
	Score   float32
}

// DecodePredictions returns, for each row of preds (n rows of 1000 ImageNet
// scores), the top classes with the highest scores first, as Keras'
// decode_predictions does. Ties keep the lower index first.
func DecodePredictions(preds []float32, n, top int) ([][]Prediction, error) {
	classes, err := imagenetClasses()
	if err != nil {
		return nil, err
	}
	k := len(classes)
	if n <= 0 || len(preds) != n*k {
		return nil, fmt.Errorf("decode predictions: want a batch of %d-class scores, got %d values for %d rows", k, len(preds), n)
	}
	top = max(1, min(top, k))
	out := make([][]Prediction, n)
	idx := make([]int, k)
	for r := 0; r < n; r++ {
		row := preds[r*k : (r+1)*k]
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
		for _, i := range idx[:top] {
			out[r] = append(out[r], Prediction{Index: i, WordNet: classes[i][0], Name: classes[i][1], Score: row[i]})
		}
	}
	return out, nil
}
