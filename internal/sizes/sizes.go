// Package sizes formats the sizes that size checks of hostile files report.
package sizes

import (
	"fmt"
	"strconv"
	"strings"
)

// Bytes formats n bytes in decimal units, three significant digits: "128
// bytes", "10.8 GB". It takes a float64 so that sizes no integer holds (a
// header's declared shape) still print.
func Bytes(n float64) string {
	if n < 1000 {
		return fmt.Sprintf("%.0f bytes", n)
	}
	units := []string{"kB", "MB", "GB", "TB", "PB", "EB"}
	u := -1
	for n >= 1000 && u < len(units)-1 {
		n /= 1000
		u++
	}
	return fmt.Sprintf("%.3g %s", n, units[u])
}

// Product is the product of dims as a float64, which neither overflows nor
// wraps: what a declared shape would take, however absurd.
func Product(dims []int) float64 {
	p := 1.0
	for _, d := range dims {
		p *= float64(d)
	}
	return p
}

// Shape writes a shape as Python does: (2, 3), (5,) or ().
func Shape(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = strconv.Itoa(d)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}
