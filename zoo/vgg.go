package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

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
