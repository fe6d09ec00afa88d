package nn

import "fmt"

// Metric accumulates a quality measure over batches, as Keras' stateful
// metrics do: Update with each batch, Result for the mean so far, Reset at
// the start of an epoch.
type Metric interface {
	Name() string
	Update(pred, target *Tensor) error
	Result() float64
	Reset()
}

// meanCounter is the running mean of per-sample 0/1 outcomes.
type meanCounter struct{ hits, total float64 }

func (m *meanCounter) Result() float64 {
	if m.total == 0 {
		return 0
	}
	return m.hits / m.total
}

func (m *meanCounter) Reset() { *m = meanCounter{} }

// Accuracy is Keras' "accuracy": categorical (argmax of the prediction
// equals argmax of a one-hot target), sparse (targets hold one class index
// per sample) or binary (one output per sample, threshold 0.5), chosen from
// the shapes as Keras does.
type Accuracy struct{ meanCounter }

// NewAccuracy returns an accuracy metric.
func NewAccuracy() *Accuracy { return &Accuracy{} }

func (*Accuracy) Name() string { return "accuracy" }

func (a *Accuracy) Update(pred, target *Tensor) error {
	rows := pred.Batch()
	if rows == 0 || target == nil || target.Batch() != rows {
		return fmt.Errorf("nn: accuracy: targets %v do not fit predictions %v", target, pred)
	}
	cols := len(pred.Data) / rows
	tcols := len(target.Data) / rows
	for r := 0; r < rows; r++ {
		p := pred.Data[r*cols : (r+1)*cols]
		var hit bool
		switch {
		case cols == 1:
			hit = (p[0] > 0.5) == (target.Data[r] > 0.5)
		case tcols == 1:
			hit = argmax(p) == int(target.Data[r])
		default:
			hit = argmax(p) == argmax(target.Data[r*tcols:(r+1)*tcols])
		}
		if hit {
			a.hits++
		}
		a.total++
	}
	return nil
}

// TopKAccuracy is Keras' top_k_categorical_accuracy (or the sparse one when
// targets hold class indices): the true class is among the k highest scores.
type TopKAccuracy struct {
	meanCounter
	K int
}

// NewTopKAccuracy returns a top-k accuracy metric (Keras' default k is 5).
func NewTopKAccuracy(k int) *TopKAccuracy { return &TopKAccuracy{K: k} }

func (t *TopKAccuracy) Name() string {
	if t.K == 5 {
		return "top_k_categorical_accuracy"
	}
	return fmt.Sprintf("top_%d_categorical_accuracy", t.K)
}

func (t *TopKAccuracy) Update(pred, target *Tensor) error {
	rows := pred.Batch()
	if rows == 0 || target == nil || target.Batch() != rows {
		return fmt.Errorf("nn: %s: targets %v do not fit predictions %v", t.Name(), target, pred)
	}
	cols := len(pred.Data) / rows
	tcols := len(target.Data) / rows
	for r := 0; r < rows; r++ {
		p := pred.Data[r*cols : (r+1)*cols]
		truth := int(target.Data[r])
		if tcols != 1 {
			truth = argmax(target.Data[r*tcols : (r+1)*tcols])
		}
		// The true class is in the top k when fewer than k scores beat it.
		better := 0
		for _, v := range p {
			if v > p[truth] {
				better++
			}
		}
		if better < t.K {
			t.hits++
		}
		t.total++
	}
	return nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
