package nn_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

// TestSummaryZooTotals checks Summary's totals for the Keras applications
// with their tops against the parameter counts Keras reports (moving
// statistics non-trainable), and that a
// frozen backbone's parameters all count as non-trainable.
func TestSummaryZooTotals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 170M parameters")
	}
	for _, c := range []struct {
		name                string
		total, nonTrainable int
	}{
		{"vgg16", 138357544, 0},
		{"resnet50", 25636712, 53120},
		{"mobilenet", 4253864, 21888},
		{"mobilenet_v2", 3538984, 34112},
		{"xception", 22910480, 54528},
		{"inception_v3", 23851784, 34432},
		{"inception_resnet_v2", 55873736, 60544},
		{"densenet121", 8062504, 83648},
		{"densenet169", 14307880, 158400},
		{"densenet201", 20242984, 229056},
		{"mobilenet_v3_large", 5507432, 24400},
		{"efficientnet_b0", 5330571, 42023}, // incl. Normalization's mean, variance and count
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := zoo.New(c.name, zoo.Options{IncludeTop: true})
			if err != nil {
				t.Fatal(err)
			}
			s := m.Summary()
			want := fmt.Sprintf("Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n",
				commas(c.total), commas(c.total-c.nonTrainable), commas(c.nonTrainable))
			if !strings.Contains(s, want) {
				t.Fatalf("summary lacks %q; it ends:\n%s", want, s[max(0, len(s)-400):])
			}
			m.SetTrainable(false)
			total, trainable, non := m.ParamCounts()
			if total != c.total || trainable != 0 || non != c.total {
				t.Errorf("frozen: total %d trainable %d non-trainable %d", total, trainable, non)
			}
		})
	}
}

// kerasThreeHeads is the table Keras printed for a VGG16 backbone (its
// first 9 layers frozen) with three regression heads, as published in a
// project's README (the lines from the first rule to the totals; Keras
// 2.3.1 adds the Model: line above and a rule below).
const kerasThreeHeads = `__________________________________________________________________________________________________
Layer (type)                    Output Shape         Param #     Connected to                     
==================================================================================================
Input_Image (InputLayer)        (None, 200, 200, 3)  0                                            
__________________________________________________________________________________________________
vgg16 (Model)                   (None, 6, 6, 512)    14714688    Input_Image[0][0]                
__________________________________________________________________________________________________
flatten_1 (Flatten)             (None, 18432)        0           vgg16[1][0]                      
__________________________________________________________________________________________________
dense_1 (Dense)                 (None, 1024)         18875392    flatten_1[0][0]                  
__________________________________________________________________________________________________
dropout_1 (Dropout)             (None, 1024)         0           dense_1[0][0]                    
__________________________________________________________________________________________________
row_out (Dense)                 (None, 1)            1025        dropout_1[0][0]                  
__________________________________________________________________________________________________
col_out (Dense)                 (None, 1)            1025        dropout_1[0][0]                  
__________________________________________________________________________________________________
rad_out (Dense)                 (None, 1)            1025        dropout_1[0][0]                  
==================================================================================================
Total params: 33,593,155
Trainable params: 32,447,747
Non-trainable params: 1,145,408
`

// TestSummaryMatchesKerasPrintout rebuilds that model and compares.
func TestSummaryMatchesKerasPrintout(t *testing.T) {
	base, err := zoo.New("vgg16", zoo.Options{InputShape: []int{200, 200, 3}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range base.Layers()[:9] {
		l.SetTrainable(false)
	}
	sc := nn.NewNameScope()
	in := nn.Input([]int{200, 200, 3}, nn.WithName("Input_Image"))
	x := nn.NewFlatten(nn.WithScope(sc)).Apply(base.Apply(in))
	x = nn.NewDense(1024, nn.WithActivation("relu"), nn.WithScope(sc)).Apply(x)
	x = nn.NewDropout(0.3, nn.WithScope(sc)).Apply(x)
	var outs []*nn.Node
	for _, name := range []string{"row_out", "col_out", "rad_out"} {
		outs = append(outs, nn.NewDense(1, nn.WithName(name)).Apply(x))
	}
	m, err := nn.NewModel([]*nn.Node{in}, outs, nn.WithName("model_1"))
	if err != nil {
		t.Fatal(err)
	}
	want := "Model: \"model_1\"\n" + kerasThreeHeads + strings.Repeat("_", 98) + "\n"
	if got := m.Summary(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
