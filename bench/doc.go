// Package bench is Keel's benchmark library, which `keel bench` runs.
//
// Each suite (Gemm, Conv, Models, Train, Data) takes an options struct and
// writes one Record per figure to a Sink: a Writer prints them as the table
// or as JSON lines, whose fields scripts rely on. Every figure is timed by
// Time (the median or the fastest sample, on the wall clock or the thread's
// CPU clock) next to PeakGFLOPS, the machine's FMA peak on the same clock.
// The conv and gemm shapes are read from the zoo's models themselves
// (ConvLayers), and models run with the golden spec's weights, whose
// pretrained-like scales keep activations out of slow denormal floats.
package bench
