// Command keel is Keel's command line.
//
//	keel env                      which kernels run here, and their block sizes
//	keel bench gemm|...           the benchmark suite (--json for scripts)
//
// Run `keel help` for the full list.
package main
