package nn

import (
	"fmt"
	"math"
)

// Loss is a training objective. Compute returns the loss of pred against
// target, averaged over the batch as Keras does, and sets grad (as long as
// pred) to its gradient with respect to pred.
type Loss interface {
	Name() string
	Compute(pred, target *Tensor, grad []float32) (float64, error)
}

// fusedLoss is a loss that can return the gradient before the model's
// output activation (softmax or sigmoid) directly: (p - y)/N instead of a
// division by p followed by the activation's backward, which is both cheaper
// and stable when p underflows.
type fusedLoss interface {
	fusesWith(a activation) bool
	computeFused(pred, target *Tensor, grad []float32) (float64, error)
}

// lossEpsilon is Keras' backend epsilon, used to clip probabilities.
const lossEpsilon = 1e-7

// CategoricalCrossentropy is Keras' categorical_crossentropy on one-hot (or
// soft) targets of the prediction's shape. Without FromLogits the
// predictions are probabilities: each row is divided by its sum and clipped
// to [1e-7, 1-1e-7] as Keras and TensorFlow.js do. LabelSmoothing ls
// replaces the targets by y*(1-ls) + ls/classes, as Keras' label_smoothing.
type CategoricalCrossentropy struct {
	FromLogits     bool
	LabelSmoothing float64
}

func (CategoricalCrossentropy) Name() string { return "categorical_crossentropy" }

func (l CategoricalCrossentropy) fusesWith(a activation) bool {
	return a == actSoftmax && !l.FromLogits
}

func rowsCols(pred, target *Tensor, name string, targetCols int) (rows, cols int, err error) {
	rows = pred.Batch()
	if rows == 0 {
		return 0, 0, fmt.Errorf("nn: %s: empty batch", name)
	}
	cols = len(pred.Data) / rows
	want := cols
	if targetCols > 0 {
		want = targetCols
	}
	if target == nil || target.Batch() != rows || len(target.Data) != rows*want {
		return 0, 0, fmt.Errorf("nn: %s: targets %v do not fit predictions %v", name, target, pred.Shape)
	}
	return rows, cols, nil
}

func (l CategoricalCrossentropy) Compute(pred, target *Tensor, grad []float32) (float64, error) {
	return crossentropy(l.Name(), pred, target, grad, l.FromLogits, false, 0, l.LabelSmoothing)
}

func (l CategoricalCrossentropy) computeFused(pred, target *Tensor, grad []float32) (float64, error) {
	return crossentropy(l.Name(), pred, target, grad, false, true, 0, l.LabelSmoothing)
}

// SparseCategoricalCrossentropy is Keras' sparse_categorical_crossentropy:
// targets are class indices, shape (batch) or (batch, 1).
type SparseCategoricalCrossentropy struct{ FromLogits bool }

func (SparseCategoricalCrossentropy) Name() string { return "sparse_categorical_crossentropy" }

func (l SparseCategoricalCrossentropy) fusesWith(a activation) bool {
	return a == actSoftmax && !l.FromLogits
}

func (l SparseCategoricalCrossentropy) Compute(pred, target *Tensor, grad []float32) (float64, error) {
	return crossentropy(l.Name(), pred, target, grad, l.FromLogits, false, 1, 0)
}

func (l SparseCategoricalCrossentropy) computeFused(pred, target *Tensor, grad []float32) (float64, error) {
	return crossentropy(l.Name(), pred, target, grad, false, true, 1, 0)
}

// crossentropy computes the categorical crossentropy of rows of pred;
// sparse (targetCols 1) targets hold class indices. fused: pred are softmax
// outputs and grad is set with respect to the logits. smoothing is Keras'
// label_smoothing of dense targets.
func crossentropy(name string, pred, target *Tensor, grad []float32, fromLogits, fused bool, targetCols int, smoothing float64) (float64, error) {
	rows, cols, err := rowsCols(pred, target, name, targetCols)
	if err != nil {
		return 0, err
	}
	label := func(r, j int) float64 {
		if targetCols == 1 {
			if int(target.Data[r]) == j {
				return 1
			}
			return 0
		}
		return float64(target.Data[r*cols+j])*(1-smoothing) + smoothing/float64(cols)
	}
	if targetCols == 1 {
		for r := 0; r < rows; r++ {
			if k := int(target.Data[r]); k < 0 || k >= cols || float32(k) != target.Data[r] {
				return 0, fmt.Errorf("nn: %s: label %g of sample %d is not a class in 0..%d", name, target.Data[r], r, cols-1)
			}
		}
	}
	inv := 1 / float64(rows)
	total := 0.0
	for r := 0; r < rows; r++ {
		p, g := pred.Data[r*cols:(r+1)*cols], grad[r*cols:(r+1)*cols]
		sumY := 0.0
		for j := range p {
			sumY += label(r, j)
		}
		if fromLogits {
			mx := math.Inf(-1)
			for _, v := range p {
				mx = max(mx, float64(v))
			}
			se := 0.0
			for _, v := range p {
				se += math.Exp(float64(v) - mx)
			}
			lse := mx + math.Log(se)
			for j, v := range p {
				y := label(r, j)
				total -= y * (float64(v) - lse)
				g[j] = float32((math.Exp(float64(v)-lse)*sumY - y) * inv)
			}
			continue
		}
		s := 0.0
		for _, v := range p {
			s += float64(v)
		}
		for j, v := range p {
			y := label(r, j)
			q := float64(v) / s
			qc := min(max(q, lossEpsilon), 1-lossEpsilon)
			if y != 0 {
				total -= y * math.Log(qc)
			}
			switch {
			case fused:
				g[j] = float32((q*sumY - y) * inv)
			case qc != q:
				g[j] = float32(sumY / s * inv) // the clip stops the log term's gradient
			default:
				g[j] = float32((-y/float64(v) + sumY/s) * inv)
			}
		}
	}
	return total * inv, nil
}

// BinaryCrossentropy is Keras' binary_crossentropy: the mean over the last
// axis of -(y log p + (1-y) log(1-p)), p clipped to [1e-7, 1-1e-7], then
// over the batch. LabelSmoothing ls replaces the targets by
// y*(1-ls) + ls/2, as Keras' label_smoothing.
type BinaryCrossentropy struct {
	FromLogits     bool
	LabelSmoothing float64
}

func (BinaryCrossentropy) Name() string { return "binary_crossentropy" }

func (l BinaryCrossentropy) fusesWith(a activation) bool { return a == actSigmoid && !l.FromLogits }

func (l BinaryCrossentropy) Compute(pred, target *Tensor, grad []float32) (float64, error) {
	return l.compute(pred, target, grad, false)
}

func (l BinaryCrossentropy) computeFused(pred, target *Tensor, grad []float32) (float64, error) {
	return l.compute(pred, target, grad, true)
}

func (l BinaryCrossentropy) compute(pred, target *Tensor, grad []float32, fused bool) (float64, error) {
	if _, _, err := rowsCols(pred, target, l.Name(), 0); err != nil {
		return 0, err
	}
	inv := 1 / float64(len(pred.Data))
	total := 0.0
	for i, v := range pred.Data {
		y, z := float64(target.Data[i])*(1-l.LabelSmoothing)+0.5*l.LabelSmoothing, float64(v)
		if l.FromLogits {
			total += max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z)))
			grad[i] = float32((1/(1+math.Exp(-z)) - y) * inv)
			continue
		}
		p := min(max(z, lossEpsilon), 1-lossEpsilon)
		total -= y*math.Log(p) + (1-y)*math.Log(1-p)
		switch {
		case fused:
			grad[i] = float32((z - y) * inv)
		case p != z:
			grad[i] = 0
		default:
			grad[i] = float32((p - y) / (p * (1 - p)) * inv)
		}
	}
	return total * inv, nil
}

// MeanSquaredError is Keras' mean_squared_error: the mean over the last
// axis, then over the batch.
type MeanSquaredError struct{}

func (MeanSquaredError) Name() string { return "mean_squared_error" }

func (l MeanSquaredError) Compute(pred, target *Tensor, grad []float32) (float64, error) {
	if _, _, err := rowsCols(pred, target, l.Name(), 0); err != nil {
		return 0, err
	}
	inv := 1 / float64(len(pred.Data))
	total := 0.0
	for i, v := range pred.Data {
		d := float64(v) - float64(target.Data[i])
		total += d * d
		grad[i] = float32(2 * d * inv)
	}
	return total * inv, nil
}
