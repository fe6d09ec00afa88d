package nn

import (
	"strings"
	"testing"
)

// kerasMNISTCNN is what Keras 2.3.1 prints for the mnist_cnn.py example
// model (its well-known summary: 1,199,882 parameters, "MaxPooling2" cut
// at the column's end).
const kerasMNISTCNN = `Model: "sequential_1"
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
conv2d_1 (Conv2D)            (None, 26, 26, 32)        320       
_________________________________________________________________
conv2d_2 (Conv2D)            (None, 24, 24, 64)        18496     
_________________________________________________________________
max_pooling2d_1 (MaxPooling2 (None, 12, 12, 64)        0         
_________________________________________________________________
dropout_1 (Dropout)          (None, 12, 12, 64)        0         
_________________________________________________________________
flatten_1 (Flatten)          (None, 9216)              0         
_________________________________________________________________
dense_1 (Dense)              (None, 128)               1179776   
_________________________________________________________________
dropout_2 (Dropout)          (None, 128)               0         
_________________________________________________________________
dense_2 (Dense)              (None, 10)                1290      
=================================================================
Total params: 1,199,882
Trainable params: 1,199,882
Non-trainable params: 0
_________________________________________________________________
`

// kerasTinyResNet is Keras 2.3.1's print_summary layout for a functional
// model with a merge: 98 columns, "Connected to", the Add's second input
// on a row of its own, frozen BatchNormalization statistics non-trainable.
const kerasTinyResNet = `Model: "resnet_tiny"
__________________________________________________________________________________________________
Layer (type)                    Output Shape         Param #     Connected to                     
==================================================================================================
input_1 (InputLayer)            (None, 32, 32, 3)    0                                            
__________________________________________________________________________________________________
conv1_pad (ZeroPadding2D)       (None, 38, 38, 3)    0           input_1[0][0]                    
__________________________________________________________________________________________________
conv1 (Conv2D)                  (None, 16, 16, 16)   2368        conv1_pad[0][0]                  
__________________________________________________________________________________________________
bn_conv1 (BatchNormalization)   (None, 16, 16, 16)   64          conv1[0][0]                      
__________________________________________________________________________________________________
activation_1 (Activation)       (None, 16, 16, 16)   0           bn_conv1[0][0]                   
__________________________________________________________________________________________________
res2a_branch2a (Conv2D)         (None, 16, 16, 16)   272         activation_1[0][0]               
__________________________________________________________________________________________________
res2a_branch1 (Conv2D)          (None, 16, 16, 16)   272         activation_1[0][0]               
__________________________________________________________________________________________________
add_1 (Add)                     (None, 16, 16, 16)   0           res2a_branch2a[0][0]             
                                                                 res2a_branch1[0][0]              
__________________________________________________________________________________________________
avg_pool (GlobalAveragePooling2 (None, 16)           0           add_1[0][0]                      
__________________________________________________________________________________________________
fc10 (Dense)                    (None, 10)           170         avg_pool[0][0]                   
==================================================================================================
Total params: 3,146
Trainable params: 3,114
Non-trainable params: 32
__________________________________________________________________________________________________
`

func TestSummarySequentialMatchesKeras(t *testing.T) {
	sc := NewNameScope()
	m, err := Sequential([]int{28, 28, 1},
		NewConv2D(32, 3, 3, WithActivation("relu"), WithScope(sc)),
		NewConv2D(64, 3, 3, WithActivation("relu"), WithScope(sc)),
		NewMaxPooling2D(2, 2, WithScope(sc)),
		NewDropout(0.25, WithScope(sc)),
		NewFlatten(WithScope(sc)),
		NewDense(128, WithActivation("relu"), WithScope(sc)),
		NewDropout(0.5, WithScope(sc)),
		NewDense(10, WithActivation("softmax"), WithScope(sc)),
	)
	if err != nil {
		t.Fatal(err)
	}
	m.name = "sequential_1"
	checkSummary(t, m.Summary(), kerasMNISTCNN)
}

func TestSummaryFunctionalMatchesKeras(t *testing.T) {
	sc := NewNameScope()
	in := Input([]int{32, 32, 3}, WithScope(sc))
	x := NewZeroPadding2D(3, 3, 3, 3, WithName("conv1_pad")).Apply(in)
	x = NewConv2D(16, 7, 7, WithStrides(2, 2), WithName("conv1")).Apply(x)
	x = NewBatchNormalization(WithName("bn_conv1")).Apply(x)
	x = NewActivation("relu", WithScope(sc)).Apply(x)
	a := NewConv2D(16, 1, 1, WithName("res2a_branch2a")).Apply(x)
	b := NewConv2D(16, 1, 1, WithName("res2a_branch1")).Apply(x)
	x = NewAdd(WithScope(sc)).Apply(a, b)
	x = NewGlobalAveragePooling2D(WithName("avg_pool")).Apply(x)
	x = NewDense(10, WithActivation("softmax"), WithName("fc10")).Apply(x)
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName("resnet_tiny"))
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, m.Summary(), kerasTinyResNet)
	total, trainable, non := m.ParamCounts()
	if total != 3146 || trainable != 3114 || non != 32 {
		t.Errorf("ParamCounts = %d, %d, %d", total, trainable, non)
	}
}

// A frozen backbone applied as a nested model: one row of class Model,
// its parameters non-trainable; the chain stays sequential-like.
func TestSummaryNestedFrozenBackbone(t *testing.T) {
	sc := NewNameScope()
	bin := Input([]int{8, 8, 3}, WithScope(sc))
	bx := NewConv2D(4, 3, 3, WithName("b_conv"), WithUseBias(false)).Apply(bin)
	bx = NewBatchNormalization(WithName("b_bn")).Apply(bx)
	base, err := NewModel([]*Node{bin}, []*Node{bx}, WithName("backbone"))
	if err != nil {
		t.Fatal(err)
	}
	base.SetTrainable(false)
	in := Input([]int{8, 8, 3}, WithScope(sc))
	x := base.Apply(in)
	x = NewGlobalAveragePooling2D(WithScope(sc)).Apply(x)
	x = NewDense(2, WithActivation("softmax"), WithScope(sc)).Apply(x)
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName("model_1"))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Summary()
	for _, want := range []string{
		"backbone (Model)             (None, 6, 6, 4)           124       \n",
		"dense_1 (Dense)              (None, 2)                 10        \n",
		"Total params: 134\nTrainable params: 10\nNon-trainable params: 124\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	// With a merge after the backbone, connections name its application
	// as node 1, as Keras counts a model's own node first.
	y := NewAdd(WithScope(sc)).Apply(base.Apply(in), base.Apply(in))
	m2, err := NewModel([]*Node{in}, []*Node{y}, WithName("model_2"))
	if err != nil {
		t.Fatal(err)
	}
	if s := m2.Summary(); !strings.Contains(s, "backbone[2][0]") || !strings.Contains(s, "backbone[3][0]") || !strings.Contains(s, "backbone (Model)                (None, 6, 6, 4)      124         input_2[0][0]") {
		t.Errorf("shared backbone summary:\n%s", s)
	}
}

func checkSummary(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, gl, wl)
		}
	}
	t.Logf("got:\n%s", got)
}
