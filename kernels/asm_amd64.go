//go:build amd64 && !purego

package kernels

// haveAVX2Asm says the AVX2+FMA assembly is compiled into this build.
const haveAVX2Asm = true
