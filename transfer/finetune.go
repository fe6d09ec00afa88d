package transfer

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// fineTunePhase is the Keras guide's second phase: the backbone layers
// from Config.FineTuneFrom up are unfrozen, the backbone is applied as
// base_model(x, training=False) so that its BatchNormalization layers stay
// in inference mode, and the model trains Config.FineTuneEpochs more
// epochs with a fresh optimizer at Config.FineTuneLR.
func (r *run) fineTunePhase() error {
	c, res := r.c, r.res
	tune, err := fineTuneModel(r.base, r.head, c.FineTuneFrom)
	if err != nil {
		return err
	}
	data, valData, err := r.imageData()
	if err != nil {
		return err
	}
	from, to := c.Epochs, c.Epochs+c.FineTuneEpochs
	fo := r.fitOptions(from, to)
	fo.ValidationData = valData
	if fo.InitialEpoch, fo.InitialStep, err = r.compile(tune, c.FineTuneLR, from, to); err != nil {
		return err
	}
	if res.History != nil {
		res.FineTuneStart = len(res.History.Epoch)
	} else {
		res.FineTuneStart = 0
	}
	fmt.Fprintf(c.Output, "fine-tuning from %s: %d of %d weights trainable, learning rate %g\n",
		c.FineTuneFrom, countValues(tune.TrainableWeights()), countValues(tune.Weights()), c.FineTuneLR)
	return r.fit(tune, data, fo)
}

// fineTuneModel unfreezes base from the layer named on (freezing the ones
// before) and returns a model sharing base's and head's layers, in which
// base runs in inference mode: Keras' base_model(inputs, training=False)
// followed by the head.
func fineTuneModel(base *nn.Model, head []nn.Layer, from string) (*nn.Model, error) {
	if err := base.UnfreezeFrom(from); err != nil {
		return nil, err
	}
	in := nn.Input(base.Input().Shape(), nn.WithName("fine_tune_input"))
	return nn.NewModel([]*nn.Node{in}, []*nn.Node{Apply(head, base.ApplyInference(in))}, nn.WithName(base.Name()+"_fine_tune"))
}

func countValues(vs []*nn.Variable) int {
	n := 0
	for _, v := range vs {
		n += len(v.Value())
	}
	return n
}
