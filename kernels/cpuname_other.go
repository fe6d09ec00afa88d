//go:build !arm64 || purego

package kernels

// armCPUName is arm64's stand-in for a brand string; other builds have one.
func armCPUName() string { return "" }
