package kernels

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestTablesComplete: every assembly table fills the entries the engines call
// unconditionally once a kernel set is present, so a kernel missing from an
// ISA shows here rather than as a nil call on that machine.
func TestTablesComplete(t *testing.T) {
	for _, tb := range asmTables {
		if tb.sgemm.run == nil || tb.sgemm.mr > maxMR || tb.sgemm.mr*tb.sgemm.nr > maxTile {
			t.Errorf("%s: GEMM micro-kernel %dx%d missing or over the bounds", tb.path, tb.sgemm.mr, tb.sgemm.nr)
		}
		if tb.conv.asm == nil || tb.conv.mr > maxConvMR {
			t.Errorf("%s: conv micro-kernel missing or taller than %d", tb.path, maxConvMR)
		}
		if tb.fmaPeak == nil {
			t.Errorf("%s: no FMA peak loop", tb.path)
		}
		if tb.nonlinear.fwd == nil || tb.nonlinear.grad == nil {
			t.Errorf("%s: nonlinear kernels missing", tb.path)
		}
		if w := tb.winograd; w.lanes > 0 && (w.input == nil || w.output == nil) {
			t.Errorf("%s: Winograd transforms incomplete", tb.path)
		}
		if tb.depthwise == nil || tb.pool == nil || tb.elementwise == nil {
			t.Errorf("%s: row kernels missing", tb.path)
			continue
		}
		sets := []any{tb.pool, tb.elementwise, tb.depthwise}
		for i := range tb.depthwise.rows {
			sets = append(sets, &tb.depthwise.rows[i])
		}
		for _, set := range sets {
			v := reflect.ValueOf(set).Elem()
			for i := 0; i < v.NumField(); i++ {
				optional := v.Type().Field(i).Tag.Get("kernel") == "optional" // the engines check for nil
				if f := v.Field(i); f.Kind() == reflect.Func && f.IsNil() && !optional {
					t.Errorf("%s: %s.%s is nil", tb.path, v.Type().Name(), v.Type().Field(i).Name)
				}
			}
		}
	}
}

// TestNoPlaceholders: the engines reach assembly only through the tables, so
// no build needs a panicking stand-in for a kernel it lacks. This reads the
// package's sources (every build's) and names any function whose body is a
// lone panic.
func TestNoPlaceholders(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || len(fn.Body.List) != 1 {
				continue
			}
			if s, ok := fn.Body.List[0].(*ast.ExprStmt); ok {
				if c, ok := s.X.(*ast.CallExpr); ok {
					if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "panic" {
						t.Errorf("%s: %s is a panicking placeholder: give the kernel table a Go twin instead", fset.Position(fn.Pos()), fn.Name.Name)
					}
				}
			}
		}
	}
}
