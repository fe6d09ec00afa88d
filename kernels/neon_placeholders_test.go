package kernels

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// neverCalledOnARM64 are the placeholders arm64 builds may keep: their callers
// are chosen by path (the AVX2 and AVX-512 GEMM micro-kernels, the FMA peak
// loops), by convZMMOK (the AVX-512 conv kernel) or by the conv kernel's 32
// channels (the AVX-512 depthwise kernels), never so on arm64.
var neverCalledOnARM64 = map[string]bool{
	"sgemmKernel6x16": true, "sgemmKernel6x16Direct": true,
	"sgemmKernel14x32": true, "sgemmKernel14x32Direct": true,
	"fmaPeakLoop": true, "fmaPeakLoop512": true,
	"gemvPanel16": true, "gemvPanel32": true,
	"convKernel8x32": true, "convKernel8x32Strided": true, "convKernel14x32Strided": true,
	"depthwise3x3Packed512": true, "depthwise3x3Packed512ReLU": true, "depthwise3x3Packed512ReLU6": true,
	"depthwise3x3RowGrad512": true,
}

// TestARM64HasNEONTwins: on arm64 the conv, depthwise, pooling and elementwise
// engines run their assembly kernels whenever the NEON path is active
// (neon_arm64.go sets convAsmOK), so each kernel they call needs a NEON twin
// in neon_arm64.s. A panicking placeholder compiled into arm64 builds would
// be called instead; this reads the package's sources, on any machine, and
// names such placeholders. The cure is a twin in asm/neon (same name and
// signature) and `!(amd64 || arm64) || purego` on the placeholder's file.
func TestARM64HasNEONTwins(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || !buildsOnARM64(t, name) {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || len(fn.Body.List) != 1 || neverCalledOnARM64[fn.Name.Name] {
				continue
			}
			call, ok := fn.Body.List[0].(*ast.ExprStmt)
			if !ok {
				continue
			}
			if c, ok := call.X.(*ast.CallExpr); ok {
				if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "panic" {
					t.Errorf("%s: %s is a panicking placeholder in arm64 builds, where the NEON path calls the kernels it stands for: give it a NEON twin in asm/neon", fset.Position(fn.Pos()), fn.Name.Name)
				}
			}
		}
	}
}

// buildsOnARM64 says whether linux/arm64 without purego compiles file name.
func buildsOnARM64(t *testing.T, name string) bool {
	base := strings.TrimSuffix(name, ".go")
	for _, arch := range []string{"amd64", "386", "arm", "riscv64", "ppc64le", "s390x", "wasm", "loong64", "mips64"} {
		if strings.HasSuffix(base, "_"+arch) {
			return false
		}
	}
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "package ") {
			break
		}
		if constraint.IsGoBuild(line) {
			expr, err := constraint.Parse(line)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return expr.Eval(func(tag string) bool { return tag == "arm64" || tag == "linux" || tag == "unix" || tag == "gc" })
		}
	}
	return true
}
