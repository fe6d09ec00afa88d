package nn

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// PyFormat fills a template in Python's str.format syntax, as Keras'
// ModelCheckpoint formats its filepath: "{name}" or "{name:spec}" with a
// format spec of Python's mini-language ([[fill]align][sign][0][width][,]
// [.precision][type], types d, f, F, e, E, g, G, %, s), "{{" and "}}" for
// braces. Values are ints, float64s or strings.
func PyFormat(tmpl string, vars map[string]any) (string, error) {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '{':
			b.WriteByte('{')
			i++
		case c == '}' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			b.WriteByte('}')
			i++
		case c == '}':
			return "", fmt.Errorf("single '}' in %q", tmpl)
		case c == '{':
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unclosed '{' in %q", tmpl)
			}
			field := tmpl[i+1 : i+end]
			name, spec, _ := strings.Cut(field, ":")
			v, ok := vars[name]
			if !ok {
				return "", fmt.Errorf("no value for {%s} in %q", name, tmpl)
			}
			s, err := pyFormatValue(v, spec)
			if err != nil {
				return "", fmt.Errorf("{%s}: %w", field, err)
			}
			b.WriteString(s)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

var specRE = regexp.MustCompile(`^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$`)

func pyFormatValue(v any, spec string) (string, error) {
	m := specRE.FindStringSubmatch(spec)
	if m == nil {
		return "", fmt.Errorf("invalid format spec %q", spec)
	}
	fill, align, sign, zero, width, group, prec, typ := m[1], m[2], m[3], m[5], m[6], m[7], m[8], m[9]
	p := -1
	if prec != "" {
		p, _ = strconv.Atoi(prec)
	}
	var s string
	numeric := true
	switch x := v.(type) {
	case string:
		numeric = false
		if typ != "" && typ != "s" {
			return "", fmt.Errorf("format %q on a string", typ)
		}
		s = x
		if p >= 0 && p < len(s) {
			s = s[:p]
		}
	case int:
		switch typ {
		case "", "d", "n":
			if p >= 0 {
				return "", fmt.Errorf("precision not allowed in integer format specifier")
			}
			s = strconv.Itoa(abs(x))
			s = group3(s, group)
			if x < 0 {
				s = "-" + s
			}
		default:
			return pyFormatValue(float64(x), spec)
		}
	case float64:
		neg := x < 0 || (x == 0 && math.Signbit(x))
		a := math.Abs(x)
		if p < 0 && typ != "" && typ != "g" && typ != "G" {
			p = 6
		}
		switch typ {
		case "":
			if p >= 0 {
				// Like 'g', but a fixed-point result keeps a decimal.
				s = pyG(a, max(p, 1), true)
				if !strings.ContainsAny(s, ".e") {
					s += ".0"
				}
			} else {
				s = PyRepr(a)
			}
		case "f", "F":
			s = strconv.FormatFloat(a, 'f', p, 64)
		case "e", "E":
			s = pyExp(strconv.FormatFloat(a, 'e', p, 64))
		case "g", "G":
			if p < 0 {
				p = 6
			}
			s = pyG(a, max(p, 1), true)
		case "%":
			s = strconv.FormatFloat(a*100, 'f', p, 64) + "%"
		default:
			return "", fmt.Errorf("unknown format code %q for a float", typ)
		}
		if typ == "E" || typ == "G" || typ == "F" {
			s = strings.ToUpper(s)
		}
		if math.IsNaN(x) {
			s, neg = "nan", false
		} else if math.IsInf(x, 0) {
			s = "inf"
		}
		if group != "" {
			ip, frac, _ := strings.Cut(s, ".")
			if frac != "" {
				frac = "." + frac
			}
			s = group3(ip, group) + frac
		}
		if neg {
			s = "-" + s
		}
	default:
		return "", fmt.Errorf("cannot format %T", v)
	}
	if numeric && sign != "" && sign != "-" && !strings.HasPrefix(s, "-") {
		s = sign + s
	}
	w, _ := strconv.Atoi(width)
	if len(s) >= w {
		return s, nil
	}
	if zero != "" && align == "" {
		fill, align = "0", "="
	}
	if fill == "" {
		fill = " "
	}
	if align == "" {
		align = "<"
		if numeric {
			align = ">"
		}
	}
	pad := w - len(s)
	switch align {
	case "<":
		return s + strings.Repeat(fill, pad), nil
	case ">":
		return strings.Repeat(fill, pad) + s, nil
	case "^":
		return strings.Repeat(fill, pad/2) + s + strings.Repeat(fill, pad-pad/2), nil
	default: // "=": padding after the sign
		if s != "" && (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
			return s[:1] + strings.Repeat(fill, pad) + s[1:], nil
		}
		return strings.Repeat(fill, pad) + s, nil
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// group3 inserts sep every three digits of an integer part.
func group3(digits, sep string) string {
	if sep == "" || len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// pyExp turns Go's exponent ("e+00") into Python's (the same: at least two
// digits), kept for clarity.
func pyExp(s string) string { return s }

// pyG is Python's general format with precision p; trim removes trailing
// zeros as 'g' does.
func pyG(a float64, p int, trim bool) string {
	if a == 0 {
		return "0"
	}
	exp := int(math.Floor(math.Log10(a)))
	// Python decides on the exponent after rounding to p digits.
	r, _ := strconv.ParseFloat(strconv.FormatFloat(a, 'e', p-1, 64), 64)
	if r != 0 {
		exp = int(math.Floor(math.Log10(r)))
	}
	var s string
	if exp < -4 || exp >= p {
		s = strconv.FormatFloat(a, 'e', p-1, 64)
		if trim {
			mant, e, _ := strings.Cut(s, "e")
			if strings.Contains(mant, ".") {
				mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
			}
			s = mant + "e" + e
		}
	} else {
		s = strconv.FormatFloat(a, 'f', max(p-1-exp, 0), 64)
		if trim && strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
	}
	return s
}

// PyRepr formats a float as Python's repr and str do: the shortest digits
// that read back the same, positional between 1e-4 and 1e16 (with ".0" for
// whole numbers), scientific otherwise.
func PyRepr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	a := math.Abs(v)
	if a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}
