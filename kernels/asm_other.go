//go:build !amd64 || purego

package kernels

const haveAVX2Asm = false
