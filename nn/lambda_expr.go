package nn

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/keelml/keel/internal/pymarshal"
)

// elementExpr is a Lambda's function recognised from its bytecode: an
// expression of its one input x, value by value, in float32 as TensorFlow
// computes it.
type elementExpr struct {
	op   string // "x", "const", "+", "-", "*", "/", "**", "neg", "clip", or a unary function
	c    float32
	a, b *elementExpr
}

func (e *elementExpr) String() string {
	switch e.op {
	case "x":
		return "x"
	case "const":
		return fmt.Sprint(e.c)
	case "neg":
		return "-(" + e.a.String() + ")"
	case "clip":
		return fmt.Sprintf("clip(%v, %v, %v)", e.a, e.b.a.c, e.b.b.c)
	case "+", "-", "*", "/", "**":
		return "(" + e.a.String() + " " + e.op + " " + e.b.String() + ")"
	}
	return e.op + "(" + e.a.String() + ")"
}

// eval returns the value at x and its derivative with respect to x.
func (e *elementExpr) eval(x float32) (v, d float32) {
	switch e.op {
	case "x":
		return x, 1
	case "const":
		return e.c, 0
	case "neg":
		v, d = e.a.eval(x)
		return -v, -d
	case "clip":
		v, d = e.a.eval(x)
		lo, hi := e.b.a.c, e.b.b.c
		if v < lo {
			return lo, 0
		}
		if v > hi {
			return hi, 0
		}
		return v, d
	case "+", "-", "*", "/", "**":
		av, ad := e.a.eval(x)
		bv, bd := e.b.eval(x)
		switch e.op {
		case "+":
			return av + bv, ad + bd
		case "-":
			return av - bv, ad - bd
		case "*":
			return av * bv, ad*bv + av*bd
		case "/":
			return av / bv, (ad*bv - av*bd) / (bv * bv)
		}
		p := float32(math.Pow(float64(av), float64(bv)))
		d := float32(0)
		if ad != 0 {
			d += bv * float32(math.Pow(float64(av), float64(bv-1))) * ad
		}
		if bd != 0 {
			d += p * float32(math.Log(float64(av))) * bd
		}
		return p, d
	}
	av, ad := e.a.eval(x)
	f := elementFuncs[e.op]
	v, fd := f(av)
	return v, fd * ad
}

// elementFuncs are the value-by-value functions a recognised Lambda may
// call (tf.square, K.exp, ...): each returns f(x) and f'(x).
var elementFuncs = map[string]func(x float32) (float32, float32){
	"square": func(x float32) (float32, float32) { return x * x, 2 * x },
	"abs": func(x float32) (float32, float32) {
		if x < 0 {
			return -x, -1
		}
		return x, 1
	},
	"exp": func(x float32) (float32, float32) { e := float32(math.Exp(float64(x))); return e, e },
	"tanh": func(x float32) (float32, float32) {
		t := float32(math.Tanh(float64(x)))
		return t, 1 - t*t
	},
	"sigmoid": func(x float32) (float32, float32) {
		s := float32(1 / (1 + math.Exp(-float64(x))))
		return s, s * (1 - s)
	},
	"relu": func(x float32) (float32, float32) {
		if x > 0 {
			return x, 1
		}
		return 0, 0
	},
}

// funcModules are the globals through which a recognised Lambda may reach
// those functions: TensorFlow and the Keras backend.
var funcModules = map[string]bool{"tf": true, "tensorflow": true, "K": true, "backend": true}

// decodeLambdaCode decodes Keras 2's func_dump of a Lambda's function.
func decodeLambdaCode(fn any) (*pymarshal.Code, error) {
	list, ok := fn.([]any)
	if !ok || len(list) != 3 {
		return nil, fmt.Errorf("function %v is not Keras' (code, defaults, closure)", short(fn))
	}
	s, ok := list[0].(string)
	if !ok {
		return nil, errors.New("function code is not a string")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s))
	if err != nil {
		return nil, fmt.Errorf("function code: %w", err)
	}
	return pymarshal.Decode(raw)
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// Opcodes of CPython 3.6-3.10 (wordcode) that a recognised Lambda uses.
const (
	opUnaryPositive  = 10
	opUnaryNegative  = 11
	opBinaryPower    = 19
	opBinaryMultiply = 20
	opBinaryAdd      = 23
	opBinarySubtract = 24
	opBinaryDivide   = 27
	opReturnValue    = 83
	opLoadConst      = 100
	opLoadAttr       = 106
	opBinaryOp311    = 122 // 3.11: BINARY_OP with the operator as argument
	opLoadFast       = 124
	opLoadGlobal     = 116
	opCallFunction   = 131
	opCallFunctionKW = 141
	opResume311      = 151
	opLoadMethod     = 160
	opCallMethod     = 161
	opExtendedArg    = 144
)

// recogniseLambda reads code as an expression of its one argument, or says
// why it cannot. Before 3.11, bytecode is 2 bytes an instruction (3.6 on)
// or 1 and 3 bytes (3.5); both are tried.
func recogniseLambda(code *pymarshal.Code) (*elementExpr, error) {
	if code.ArgCount != 1 {
		return nil, fmt.Errorf("its function takes %d arguments", code.ArgCount)
	}
	if len(code.FreeVars) > 0 {
		return nil, fmt.Errorf("its function reads variables of its closure (%s)", strings.Join(code.FreeVars, ", "))
	}
	instrs, err := wordcode(code.Bytecode)
	if err == nil {
		var e *elementExpr
		if e, err = runStack(code, instrs); err == nil {
			return e, nil
		}
	}
	if code.Layout == pymarshal.Py35to37 {
		if instrs35, err35 := bytecode35(code.Bytecode); err35 == nil {
			if e, err35 := runStack(code, instrs35); err35 == nil {
				return e, nil
			}
		}
	}
	return nil, err
}

type instr struct{ op, arg int }

func wordcode(b []byte) ([]instr, error) {
	if len(b)%2 != 0 {
		return nil, errors.New("bytecode of odd length")
	}
	var out []instr
	ext := 0
	for i := 0; i < len(b); i += 2 {
		op, arg := int(b[i]), int(b[i+1])|ext<<8
		if op == opExtendedArg {
			ext = arg
			continue
		}
		ext = 0
		out = append(out, instr{op, arg})
	}
	return out, nil
}

// bytecode35 reads Python 3.5's bytecode: opcodes from 90 on carry a
// 2-byte argument.
func bytecode35(b []byte) ([]instr, error) {
	var out []instr
	for i := 0; i < len(b); {
		op := int(b[i])
		i++
		arg := 0
		if op >= 90 {
			if i+2 > len(b) {
				return nil, errors.New("truncated bytecode")
			}
			arg = int(b[i]) | int(b[i+1])<<8
			i += 2
		}
		out = append(out, instr{op, arg})
	}
	return out, nil
}

// stackItem is an expression, a function reference or a tuple of keyword
// names on the evaluation stack.
type stackItem struct {
	expr    *elementExpr
	fn      string // a recognised function (after its module's attribute)
	module  bool   // a module global, awaiting its attribute
	kwNames []string
	null    bool // the slot LOAD_METHOD leaves for an unbound call
}

const maxStack = 32

// runStack evaluates the instructions symbolically.
func runStack(code *pymarshal.Code, instrs []instr) (*elementExpr, error) {
	var st []stackItem
	pop := func() (stackItem, error) {
		if len(st) == 0 {
			return stackItem{}, errors.New("stack underflow")
		}
		it := st[len(st)-1]
		st = st[:len(st)-1]
		return it, nil
	}
	binary := map[int]string{opBinaryPower: "**", opBinaryMultiply: "*", opBinaryAdd: "+", opBinarySubtract: "-", opBinaryDivide: "/"}
	binary311 := map[int]string{0: "+", 5: "*", 8: "**", 10: "-", 11: "/"}
	for pc := 0; pc < len(instrs); pc++ {
		in := instrs[pc]
		if len(st) > maxStack {
			return nil, errors.New("stack too deep")
		}
		if code.Layout == pymarshal.Py311 {
			switch in.op {
			case 0: // CACHE entries after BINARY_OP
				continue
			case opResume311:
				continue
			case opBinaryOp311:
				name, ok := binary311[in.arg]
				if !ok {
					return nil, fmt.Errorf("BINARY_OP %d is not + - * / **", in.arg)
				}
				b, err1 := pop()
				a, err2 := pop()
				if err := firstError(err1, err2); err != nil {
					return nil, err
				}
				if a.expr == nil || b.expr == nil {
					return nil, errors.New("an operator on a non-number")
				}
				st = append(st, stackItem{expr: &elementExpr{op: name, a: a.expr, b: b.expr}})
				continue
			case opLoadGlobal, opLoadAttr, opLoadMethod:
				return nil, errors.New("it calls a function (Keel reads calls only from Python 3.6-3.10 bytecode)")
			}
		}
		switch in.op {
		case opLoadFast:
			if in.arg != 0 {
				return nil, fmt.Errorf("it reads local variable %d", in.arg)
			}
			st = append(st, stackItem{expr: &elementExpr{op: "x"}})
		case opLoadConst:
			if in.arg < 0 || in.arg >= len(code.Consts) {
				return nil, fmt.Errorf("constant %d of %d", in.arg, len(code.Consts))
			}
			switch c := code.Consts[in.arg].(type) {
			case float64:
				st = append(st, stackItem{expr: &elementExpr{op: "const", c: float32(c)}})
			case int64:
				st = append(st, stackItem{expr: &elementExpr{op: "const", c: float32(c)}})
			case []any:
				var names []string
				for _, n := range c {
					s, ok := n.(string)
					if !ok {
						return nil, fmt.Errorf("constant tuple %v", c)
					}
					names = append(names, s)
				}
				st = append(st, stackItem{kwNames: names})
			default:
				return nil, fmt.Errorf("constant %v (%T)", c, c)
			}
		case opUnaryPositive, opUnaryNegative:
			a, err := pop()
			if err != nil {
				return nil, err
			}
			if a.expr == nil {
				return nil, errors.New("a sign on a non-number")
			}
			if in.op == opUnaryNegative {
				a.expr = &elementExpr{op: "neg", a: a.expr}
			}
			st = append(st, a)
		case opBinaryPower, opBinaryMultiply, opBinaryAdd, opBinarySubtract, opBinaryDivide:
			b, err1 := pop()
			a, err2 := pop()
			if err := firstError(err1, err2); err != nil {
				return nil, err
			}
			if a.expr == nil || b.expr == nil {
				return nil, errors.New("an operator on a non-number")
			}
			st = append(st, stackItem{expr: &elementExpr{op: binary[in.op], a: a.expr, b: b.expr}})
		case opLoadGlobal:
			if in.arg >= len(code.Names) || !funcModules[code.Names[in.arg]] {
				return nil, fmt.Errorf("it reads global %q", nameAt(code.Names, in.arg))
			}
			st = append(st, stackItem{module: true})
		case opLoadAttr, opLoadMethod:
			m, err := pop()
			if err != nil {
				return nil, err
			}
			name := nameAt(code.Names, in.arg)
			switch {
			case m.module && (name == "math" || name == "backend"):
				st = append(st, stackItem{module: true})
				continue
			case !m.module:
				return nil, fmt.Errorf("attribute %q of a non-module", name)
			case name != "clip_by_value" && name != "clip" && elementFuncs[name] == nil:
				return nil, fmt.Errorf("it calls %s, which Keel does not read", name)
			}
			if in.op == opLoadMethod {
				st = append(st, stackItem{null: true})
			}
			st = append(st, stackItem{fn: name})
		case opCallFunction, opCallFunctionKW, opCallMethod:
			var kw []string
			if in.op == opCallFunctionKW {
				k, err := pop()
				if err != nil {
					return nil, err
				}
				kw = k.kwNames
			}
			n := in.arg
			if n > len(st) {
				return nil, errors.New("call past the stack")
			}
			args := append([]stackItem(nil), st[len(st)-n:]...)
			st = st[:len(st)-n]
			f, err := pop()
			if err != nil {
				return nil, err
			}
			if f.fn == "" {
				return nil, errors.New("a call of something not a recognised function")
			}
			if in.op == opCallMethod {
				if nul, err := pop(); err != nil || !nul.null {
					return nil, errors.New("a method call without its slot")
				}
			}
			e, err := callExpr(f.fn, args, kw)
			if err != nil {
				return nil, err
			}
			st = append(st, stackItem{expr: e})
		case opReturnValue:
			r, err := pop()
			if err != nil {
				return nil, err
			}
			if r.expr == nil || len(st) != 0 || pc != len(instrs)-1 {
				return nil, errors.New("it returns something other than one expression")
			}
			if !usesX(r.expr) {
				return nil, errors.New("it returns a constant")
			}
			return r.expr, nil
		default:
			return nil, fmt.Errorf("opcode %d", in.op)
		}
	}
	return nil, errors.New("no return")
}

func nameAt(names []string, i int) string {
	if i < 0 || i >= len(names) {
		return fmt.Sprintf("#%d", i)
	}
	return names[i]
}

// callExpr builds a recognised call: fn(x) for the element-wise functions,
// clip_by_value(x, lo, hi) and K.clip(x, lo, hi) with constant bounds
// (positional, or by keyword as Keras names them).
func callExpr(fn string, args []stackItem, kw []string) (*elementExpr, error) {
	if len(kw) > len(args) {
		return nil, errors.New("more keyword names than arguments")
	}
	pos := args[:len(args)-len(kw)]
	named := map[string]*elementExpr{}
	for i, k := range kw {
		named[k] = args[len(pos)+i].expr
	}
	for _, a := range args {
		if a.expr == nil {
			return nil, fmt.Errorf("%s of a non-number", fn)
		}
	}
	if fn != "clip_by_value" && fn != "clip" {
		if len(pos) != 1 || len(kw) != 0 {
			return nil, fmt.Errorf("%s with %d arguments", fn, len(args))
		}
		return &elementExpr{op: fn, a: pos[0].expr}, nil
	}
	lowName, highName := "clip_value_min", "clip_value_max"
	if fn == "clip" {
		lowName, highName = "min_value", "max_value"
	}
	ordered := []*elementExpr{nil, nil, nil}
	for i, a := range pos {
		if i < 3 {
			ordered[i] = a.expr
		}
	}
	if e, ok := named["t"]; ok && fn == "clip_by_value" {
		ordered[0] = e
	}
	if e, ok := named["x"]; ok && fn == "clip" {
		ordered[0] = e
	}
	if e, ok := named[lowName]; ok {
		ordered[1] = e
	}
	if e, ok := named[highName]; ok {
		ordered[2] = e
	}
	if len(pos) > 3 || ordered[0] == nil || ordered[1] == nil || ordered[2] == nil || ordered[1].op != "const" || ordered[2].op != "const" {
		return nil, fmt.Errorf("%s needs an input and constant bounds", fn)
	}
	return &elementExpr{op: "clip", a: ordered[0], b: &elementExpr{op: "bounds", a: ordered[1], b: ordered[2]}}, nil
}

func usesX(e *elementExpr) bool {
	if e == nil {
		return false
	}
	return e.op == "x" || usesX(e.a) || (e.op != "clip" && usesX(e.b))
}
