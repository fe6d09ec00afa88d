package modelfile_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// mustLoad are real Keras full-model files whose layers Keel supports, from
// Keras 1.2 to tf.keras 2.14, Sequential (in both config forms) and
// functional, with residual adds, concatenations and depthwise convolutions.
var mustLoad = []string{
	"dl4j-test-resources/cnn_batch_norm.h5",
	"dl4j-test-resources/dense_tensorflow_2.h5",
	"dl4j-test-resources/elephas_sequential.h5",
	"dl4j-test-resources/flatten_3d.hdf5",
	"dl4j-test-resources/mlp_0.h5",
	"dl4j-test-resources/simple_sparse_xent_mlp_keras_2_model.h5",
	"mlcommons-tiny/ad01.h5",
	"mlcommons-tiny/pretrainedResnet.h5",
	"mlcommons-tiny/vww_96.h5",
	"stm32ai-modelzoo/CNN2D_ST_HandPosture_8classes.h5",
	"stm32ai-modelzoo/miniresnet_1stacks_64x50_tl.h5",
	"stm32ai-modelzoo/mobilenet_v1_0.25_224_tl.h5",
	"stm32ai-modelzoo/mobilenet_v2_0.35_128_tl.h5",
	"stm32ai-modelzoo/squeezenetv1.1_128_tfs.h5",
	"stm32ai-modelzoo/st_mnist_v1_28_tfs.h5",
	// 1-D and 3-D convolutions, resampling, advanced activations, Attention (nn's layers2 files).
	"dl4j-test-resources/GAPError.h5",
	"dl4j-test-resources/act_0.h5",
	"dl4j-test-resources/adv_act_2.h5",
	"dl4j-test-resources/batchNormError2.h5",
	"dl4j-test-resources/cnn1d_18.h5",
	"dl4j-test-resources/cnn1d_flatten_tf_keras2.h5",
	"dl4j-test-resources/cnn2d_100.h5",
	"dl4j-test-resources/cnn2d_32.h5",
	"dl4j-test-resources/cnn2d_33.h5",
	"dl4j-test-resources/cnn2d_76.h5",
	"dl4j-test-resources/cnn3d_16.h5",
	"dl4j-test-resources/conv1d_k2_s1_d1_cl_same_model.h5",
	"dl4j-test-resources/issue_9560.h5",
	"dl4j-test-resources/keras-attention.h5",
	"stm32ai-modelzoo/yamnet_256_64x96_tl.h5",
}

func TestRealFullModelsLoadAndRun(t *testing.T) {
	for _, rel := range mustLoad {
		t.Run(rel, func(t *testing.T) {
			m, _, err := modelfile.Load(testenv.Shared(t, "realh5", rel))
			require.NoError(t, err)
			shape := append([]int{2}, m.Input().Shape()...)
			x := nn.NewTensor(shape...)
			for i := range x.Data {
				x.Data[i] = float32(i%29)/29 - 0.5
			}
			y, err := m.Run(x)
			require.NoError(t, err)
			require.Equal(t, 2, y[0].Shape[0])
		})
	}
}

// Every other real full-model file either loads or says why not, naming the
// layer or option Keel lacks; none panics.
func TestRealFullModelsFailClearly(t *testing.T) {
	root := testenv.Shared(t, "realh5")
	loaded, refused := 0, 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "expected") || strings.Contains(p, "_derived") {
			return err
		}
		if ext := filepath.Ext(p); ext != ".h5" && ext != ".hdf5" && ext != ".keras" {
			return nil
		}
		f, err := weightsio.Open(p)
		if err != nil || len(f.ModelConfigJSON) == 0 {
			if f != nil {
				f.Close()
			}
			return nil
		}
		f.Close()
		_, _, err = modelfile.Load(p)
		if errors.Is(err, modelfile.ErrUnknownInputShape) {
			// A fully convolutional model (12net: (?, ?, 3)) builds
			// once it is given a size.
			_, _, err = modelfile.LoadWith(p, modelfile.Options{InputShape: []int{32, 32, 3}})
		}
		if err != nil {
			refused++
			t.Logf("%s: %v", strings.TrimPrefix(p, root), err)
			require.Contains(t, err.Error(), p, "the error names the file")
		} else {
			loaded++
		}
		return nil
	})
	require.NoError(t, err)
	t.Logf("%d full-model files loaded, %d refused", loaded, refused)
	// Of the 117 in ../shared/realh5, the 11 left need Python code in
	// Lambdas (space_to_depth, deepfm's reductions with closures),
	// TensorFlow ops (st_ssd's shape and tile), ConvLSTM2D, or custom
	// layers no Keras ships (GarNet, HGQ's FixedPointQuantizer, larq).
	require.GreaterOrEqual(t, loaded, 106, "full-model files Keel builds")
}
