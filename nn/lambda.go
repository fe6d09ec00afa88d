package nn

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// LambdaFunc is Go code standing for the Python function of a Keras Lambda
// layer, as Keras' custom_objects supply it when loading a model.
type LambdaFunc struct {
	// OutputShape gives the per-sample output shape from the per-sample
	// input shapes; nil: the first input's shape.
	OutputShape func(in [][]int) ([]int, error)
	// Forward writes y (batch first) from the inputs.
	Forward func(x []*Tensor, y *Tensor)
	// Backward writes the gradients of the inputs (those not nil in dx)
	// from the output's gradient dy. Nil: gradients cannot pass through
	// the layer, and training anything below it is an error.
	Backward func(x []*Tensor, y, dy *Tensor, dx []*Tensor)
}

var (
	lambdasMu sync.RWMutex
	lambdas   = map[string]LambdaFunc{}
)

// RegisterLambda makes models built from configs run fn for the Lambda
// layers named name, or whose Python function is named name (a def's name;
// an anonymous lambda is named "<lambda>", so register those by layer
// name). A layer name wins over a function name. A LambdaFunc without
// Forward removes name's registration.
func RegisterLambda(name string, fn LambdaFunc) {
	lambdasMu.Lock()
	defer lambdasMu.Unlock()
	if fn.Forward == nil {
		delete(lambdas, name)
		return
	}
	lambdas[name] = fn
}

func lookupLambda(names ...string) (LambdaFunc, string, bool) {
	lambdasMu.RLock()
	defer lambdasMu.RUnlock()
	for _, n := range names {
		if fn, ok := lambdas[n]; ok && n != "" {
			return fn, n, true
		}
	}
	return LambdaFunc{}, "", false
}

// Lambda is a Keras Lambda layer whose function Keel runs: a Go function
// registered with RegisterLambda, or an element-wise expression of its input
// recognised from the stored bytecode. Its config is the file's, unchanged.
type Lambda struct {
	base
	config map[string]any
	expr   *elementExpr // recognised expression; nil: fn
	fn     LambdaFunc
	fnName string
}

// Config is the Lambda's Keras config as it was read.
func (l *Lambda) Config() map[string]any {
	c := maps.Clone(l.config)
	maps.Copy(c, l.baseConfig())
	return c
}

func (l *Lambda) build(in [][]int) ([]int, error) {
	if l.expr != nil {
		if err := needOne(in); err != nil {
			return nil, err
		}
		return slices.Clone(in[0]), nil
	}
	if l.fn.OutputShape != nil {
		return l.fn.OutputShape(in)
	}
	if len(in) == 0 {
		return nil, errors.New("no inputs")
	}
	return slices.Clone(in[0]), nil
}

func (l *Lambda) backwardNeeds(*call, bool) (bool, bool) { return true, l.expr == nil }

func (l *Lambda) forward(c *call) {
	if l.expr == nil {
		l.fn.Forward(c.x, c.y)
		return
	}
	for i, v := range c.x[0].Data {
		c.y.Data[i], _ = l.expr.eval(v)
	}
}

func (l *Lambda) backward(c *call) {
	if l.expr == nil {
		if l.fn.Backward != nil {
			l.fn.Backward(c.x, c.y, c.dy, c.dx)
		}
		return
	}
	if c.dx[0] == nil {
		return
	}
	for i, v := range c.x[0].Data {
		_, d := l.expr.eval(v)
		c.dx[0].Data[i] = c.dy.Data[i] * d
	}
}

// gradientError says why gradients cannot pass through the layer (nil:
// they can); a plan that needs them fails with it.
func (l *Lambda) gradientError() error {
	if l.expr == nil && l.fn.Backward == nil {
		return fmt.Errorf("nn: Lambda %q runs Go function %q, registered without a Backward: gradients cannot pass through it to the layers below (freeze them, or register a Backward)", l.name, l.fnName)
	}
	return nil
}

// gradientsPass checks, for a training plan, that every step whose inputs
// need gradients can give them.
func (p *plan) gradientsPass() error {
	for _, s := range p.steps {
		if g, ok := s.layer.(interface{ gradientError() error }); ok && slices.Contains(s.inGrad, true) {
			if err := g.gradientError(); err != nil {
				return err
			}
		}
	}
	return nil
}

// lambdaFromConfig builds a Lambda: a registered Go function first, then
// InceptionResNetV2's scaled residual, then a recognised expression.
// Anything else is an error naming the layer and what its code is.
func lambdaFromConfig(c Config) (Layer, error) {
	opts, err := c.common()
	if err != nil {
		return nil, err
	}
	name := c.name()
	code, codeErr := decodeLambdaCode(c["function"])
	fnName := ""
	if s, ok := c["function"].(string); ok && c["function_type"] == "function" {
		fnName = s // a module function, stored by name
	} else if codeErr == nil {
		fnName = code.Name
	}
	if fn, key, ok := lookupLambda(name, fnName); ok {
		return newLambda(c, opts, nil, fn, key)
	}
	if args, ok := c["arguments"].(map[string]any); ok && args["scale"] != nil {
		r := &reader{c: c}
		return built(scaledResidualLambda(r, opts), r)
	}
	register := fmt.Sprintf("register Go code for it with nn.RegisterLambda(%q, ...)", name)
	if args, ok := c["arguments"].(map[string]any); ok && len(args) > 0 {
		return nil, fmt.Errorf("Keel does not run Python code: this Lambda's function takes arguments %v; %s", args, register)
	}
	if codeErr != nil {
		return nil, fmt.Errorf("Keel does not run Python code and cannot read this Lambda's (%v); %s", codeErr, register)
	}
	if fn, _ := c["function"].([]any); len(fn) == 3 && (fn[1] != nil || fn[2] != nil) {
		return nil, fmt.Errorf("Keel does not run Python code: function %s has defaults or a closure; %s", code.Name, register)
	}
	expr, err := recogniseLambda(code)
	if err != nil {
		return nil, fmt.Errorf("Keel does not run Python code and reads a Lambda only as an arithmetic expression of its input; function %s (%v, names %v) is not one: %v; %s",
			code.Name, code.Layout, code.Names, err, register)
	}
	return newLambda(c, opts, expr, LambdaFunc{}, "")
}

func newLambda(c Config, opts []Option, expr *elementExpr, fn LambdaFunc, fnName string) (*Lambda, error) {
	s, err := collect("Lambda", opts)
	l := &Lambda{config: maps.Clone(map[string]any(c)), expr: expr, fn: fn, fnName: fnName}
	l.init(l, "Lambda", s, err)
	return l, err
}
