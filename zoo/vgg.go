package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

func init() {
	for _, m := range []struct {
		name, keras string
		convs       [5]int
		files       [2]WeightsFile
		pub         Published
	}{
		{"vgg16", "VGG16", [5]int{2, 2, 3, 3, 3}, kerasFiles(fcholletV01, "vgg16", "6d6bbae143d832006294945121d1f1fc", "64373286793e3c8b2b4e3219cbf3544b"), Published{SizeMB: 528, Top1: 0.713, Top5: 0.901, Params: 138357544, Depth: 16}},
		{"vgg19", "VGG19", [5]int{2, 2, 4, 4, 4}, kerasFiles(fcholletV01, "vgg19", "253f8cb515780f3b799900260a226db6", "cbe5617147190e668d6c5d5026f83318"), Published{SizeMB: 549, Top1: 0.713, Top5: 0.900, Params: 143667240, Depth: 19}},
	} {
		Register(Spec{
			Name: m.name, KerasName: m.keras,
			Build:       func(o Options, in Shape) (*nn.Model, error) { return vgg(m.name, m.convs, o, in) },
			DefaultSize: 224, MinSize: 32, Preprocess: "caffe", Weights: m.files,
			Head: HeadFlatten, Published: m.pub,
		})
	}
}

// vgg builds VGG16 (convs 2, 2, 3, 3, 3) or VGG19 (2, 2, 4, 4, 4), as
// keras_applications' vgg16.py and vgg19.py do.
func vgg(name string, convs [5]int, o Options, in Shape) (*nn.Model, error) {
	b := newBuilder()
	img := b.input(in)
	x := img
	filters := [5]int{64, 128, 256, 512, 512}
	for blk := 0; blk < 5; blk++ {
		for c := 1; c <= convs[blk]; c++ {
			x = b.conv(x, fmt.Sprintf("block%d_conv%d", blk+1, c), filters[blk], 3, 1, "same", nn.WithActivation("relu"))
		}
		x = b.maxPool(x, fmt.Sprintf("block%d_pool", blk+1), 2, 2, "valid")
	}
	if o.IncludeTop {
		x = nn.NewFlatten(b.opts("flatten")...).Apply(x)
		x = b.dense(x, "fc1", 4096, "relu")
		x = b.dense(x, "fc2", 4096, "relu")
		x = b.dense(x, "predictions", o.Classes, "softmax")
	} else {
		x = b.pooling(x, o.Pooling, "", "")
	}
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(name))
}
